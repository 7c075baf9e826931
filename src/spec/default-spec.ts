import { posix } from "node:path";

import { invalidArgument } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import { checkMountPlacement, normalizeDestination } from "./mount-rules.js";
import type { OciMount, OciProcess, OciSpec } from "./oci-spec.js";
import { buildProcess, type ProcessOptions } from "./process-spec.js";
import { HOSTNAME_MAX_BYTES, MOUNTS_MAX_ENTRIES, checkCount, checkLabels, checkPath } from "./request-limits.js";
import { type ResourceOptions, toLinuxResources } from "./resources.js";
import { checkSecurityOptions } from "./security-options.js";
import { applySecurity, type SecurityInput } from "./security-spec.js";
import {
  DEFAULT_CWD,
  DEFAULT_HOSTNAME,
  DEFAULT_MASKED_PATHS,
  DEFAULT_PATH,
  DEFAULT_READONLY_PATHS,
  OCI_VERSION,
  defaultCapabilities,
  defaultMounts,
  defaultNamespaces,
  defaultRlimits,
} from "./spec-defaults.js";

// BindMountOptions mirrors berth.v1.Mount: a host path bound into the
// container.
export interface BindMountOptions {
  source?: string | undefined;
  destination?: string | undefined;
  readOnly?: boolean | undefined;
}

export interface DefaultSpecOptions {
  process: ProcessOptions;
  // rootfsPath is the spec's root.path: the overlay mount point, or the
  // shared lower directory itself when readonlyRootfs.
  rootfsPath: string;
  readonlyRootfs?: boolean | undefined;
  hostname?: string | undefined;
  mounts?: readonly BindMountOptions[] | undefined;
  resources?: ResourceOptions | undefined;
  // cgroupsPath is where runc puts the container's cgroup, e.g.
  // "/berth/<namespace>/<id>"; unset leaves the choice to runc.
  cgroupsPath?: string | undefined;
  // labels become annotations, which runc shows in `runc state`.
  labels?: Readonly<Record<string, string>> | undefined;
  // security is the checked SecurityOptions with what was resolved of them;
  // unset means the defaults (Docker's capabilities, the default seccomp
  // profile).
  security?: SecurityInput | undefined;
}

const HOSTNAME = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

// buildDefaultSpec returns the OCI runtime spec (config.json) of a container
// described by simple fields, on the defaults of `runc spec` and
// containerd's WithDefaultSpec: pid, ipc, uts, mount and network namespaces;
// Docker's capabilities and seccomp profile; masked /proc paths; no new
// privileges.
export function buildDefaultSpec(options: DefaultSpecOptions): OciSpec {
  if (!posix.isAbsolute(options.rootfsPath)) {
    throw invalidArgument(`rootfs path ${quote(options.rootfsPath)} must be absolute`);
  }
  checkCount("mounts", options.mounts?.length ?? 0, MOUNTS_MAX_ENTRIES);
  checkLabels("labels", options.labels);
  const hostname = options.hostname === undefined || options.hostname === "" ? DEFAULT_HOSTNAME : options.hostname;
  if (hostname.length > HOSTNAME_MAX_BYTES || !HOSTNAME.test(hostname)) {
    throw invalidArgument(
      `hostname ${quote(hostname)} is not a valid host name: use letters, digits and '-', dot-separated labels of at most 63 characters, ${HOSTNAME_MAX_BYTES} in all`,
    );
  }
  const security = options.security ?? { checked: checkSecurityOptions(undefined) };
  const spec: OciSpec = {
    ociVersion: OCI_VERSION,
    process: buildProcess(options.process, defaultProcess()),
    root: { path: options.rootfsPath, readonly: options.readonlyRootfs === true },
    hostname,
    mounts: withBindMounts(defaultMounts(), options.mounts ?? [], security.checked.tmpfs),
    linux: {
      namespaces: defaultNamespaces(),
      resources: {
        // Deny every device, then runc adds its short default allow list
        // (null, zero, full, tty, random, urandom, pts, ptmx).
        devices: [{ allow: false, access: "rwm" }],
        ...toLinuxResources(options.resources),
      },
      maskedPaths: [...DEFAULT_MASKED_PATHS],
      readonlyPaths: [...DEFAULT_READONLY_PATHS],
    },
  };
  if (options.cgroupsPath !== undefined && options.cgroupsPath !== "") {
    (spec.linux ??= {}).cgroupsPath = options.cgroupsPath;
  }
  const labels = options.labels ?? {};
  if (Object.keys(labels).length > 0) spec.annotations = { ...labels };
  applySecurity(spec, security);
  return spec;
}

function defaultProcess(): OciProcess {
  return {
    user: { uid: 0, gid: 0 },
    args: [],
    env: [DEFAULT_PATH],
    cwd: DEFAULT_CWD,
    capabilities: defaultCapabilities(),
    rlimits: defaultRlimits(),
    noNewPrivileges: true,
  };
}

// withBindMounts appends the bind and tmpfs mounts; one with the
// destination of a default mount takes its place (and its position, since
// later mounts may sit under it), as in containerd's WithMounts.
function withBindMounts(defaults: OciMount[], binds: readonly BindMountOptions[], tmpfs: readonly OciMount[]): OciMount[] {
  const byDestination = new Map<string, OciMount>();
  for (const mount of [...binds.map((bind, i) => toBindMount(bind, `mounts[${i}]`)), ...tmpfs]) {
    if (byDestination.has(mount.destination)) {
      throw invalidArgument(`two mounts have the destination ${quote(mount.destination)}: give each bind or tmpfs mount its own destination`);
    }
    byDestination.set(mount.destination, mount);
  }
  const merged = defaults.map((mount) => {
    const replacement = byDestination.get(mount.destination);
    byDestination.delete(mount.destination);
    return replacement ?? mount;
  });
  return [...merged, ...byDestination.values()];
}

function toBindMount(bind: BindMountOptions, field: string): OciMount {
  checkPath(`${field}.source`, bind.source);
  checkPath(`${field}.destination`, bind.destination);
  const source = bind.source ?? "";
  if (!posix.isAbsolute(source)) {
    throw invalidArgument(`${field}.source ${quote(bind.source)} must be an absolute path on the host`);
  }
  // "/data/" and "/data" are one destination.
  const destination = normalizeDestination(`${field}.destination`, bind.destination);
  // rbind brings submounts along; "ro" on a bind makes runc remount it
  // read-only (its top mount: runc 1.1 has "rro" for the recursive kind).
  const mount: OciMount = { destination, type: "bind", source, options: ["rbind", bind.readOnly === true ? "ro" : "rw"] };
  checkMountPlacement(field, mount);
  return mount;
}
