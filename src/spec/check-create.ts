// checkCreateRequest validates a Create before any work is done for it (no
// folder, mount or runtime call): the bounds of every field, then the spec
// built from them as Create will build it, then that spec against the host.
// Every client mistake it finds is INVALID_ARGUMENT saying what to change.
import { invalidArgument } from "../errors/berth-error.js";
import { checkEnum } from "../errors/validate.js";
import { PullPolicySchema, RestartPolicy_KindSchema } from "../gen/berth/v1/types_pb.js";
import { checkBlockIoWeightOnHost } from "./block-io-weight.js";
import { buildDefaultSpec, type BindMountOptions } from "./default-spec.js";
import { checkBindSource, checkCpusOnline, checkRootfsFolder, checkSpecOnHost } from "./host-checks.js";
import { checkHooks, checkHooksOnHost, mergeHooks, type HooksOptions } from "./hook-spec.js";
import type { ProcessOptions } from "./process-spec.js";
import {
  HOSTNAME_MAX_BYTES,
  IMAGE_REFERENCE_MAX_BYTES,
  MOUNTS_MAX_ENTRIES,
  OCI_SPEC_JSON_MAX_BYTES,
  checkCount,
  checkLabels,
  checkPath,
  checkText,
} from "./request-limits.js";
import type { ResourceOptions } from "./resources.js";
import { resolveDevices } from "./host-devices.js";
import { checkSecurityOptions, isDefaultSecurity, type SecurityFields } from "./security-options.js";
import { applySpecOverrides } from "./user-spec.js";

// CreateFields is the part of berth.v1.CreateRequest a spec is built from.
export interface CreateFields {
  process?: Partial<ProcessOptions> | undefined;
  ociSpecJson?: Uint8Array | undefined;
  rootfs?: { source?: { case: "path" | "imagePath" | undefined; value?: string } | undefined; readOnly?: boolean } | undefined;
  labels?: Readonly<Record<string, string>> | undefined;
  resources?: ResourceOptions | undefined;
  hostname?: string | undefined;
  mounts?: readonly BindMountOptions[] | undefined;
  restartPolicy?: { kind?: number } | undefined;
  hooks?: HooksOptions | undefined;
  security?: SecurityFields | undefined;
  image?: string | undefined;
  pullPolicy?: number | undefined;
}

// The spec is built on stand-ins for what only Create knows.
const PLACEHOLDER = { rootfsPath: "/", cgroupsPath: "/berth" };

export async function checkCreateRequest(options: CreateFields): Promise<void> {
  // Bounds first: nothing below may loop over an unbounded list.
  checkLabels("labels", options.labels);
  const kind = options.restartPolicy?.kind;
  if (kind !== undefined) checkEnum("restart_policy.kind", kind, RestartPolicy_KindSchema);
  checkCount("mounts", options.mounts?.length ?? 0, MOUNTS_MAX_ENTRIES);
  if (options.hostname !== undefined) checkText("hostname", options.hostname, HOSTNAME_MAX_BYTES);
  const source = options.rootfs?.source;
  if (options.image !== undefined && options.image !== "") {
    checkText("image", options.image, IMAGE_REFERENCE_MAX_BYTES);
    if (source?.case !== undefined) throw invalidArgument("give either image or rootfs (path or image_path), not both");
  }
  if (options.pullPolicy !== undefined) checkEnum("pull_policy", options.pullPolicy, PullPolicySchema);
  if (source?.case === "path") checkPath("rootfs.path", source.value);
  if (source?.case === "imagePath") checkPath("rootfs.image_path", source.value);
  checkHooks("hooks", options.hooks);
  const security = checkSecurityOptions(options.security);
  const json = options.ociSpecJson;
  if (json !== undefined && json.length > 0) {
    // A user namespace is the exception: its ids come from the daemon's
    // range and the root filesystem is shifted to them, which no spec can
    // say; berth gives the spec the namespace as it does its own.
    if (!isDefaultSecurity({ ...security, userns: { mode: "host" } })) {
      throw invalidArgument("security (but userns) applies to the spec berth builds, not to oci_spec_json: write capabilities, seccomp, devices and mounts into that spec instead");
    }
    if (json.length > OCI_SPEC_JSON_MAX_BYTES) {
      throw invalidArgument(`oci_spec_json is ${json.length} bytes, over the limit of ${OCI_SPEC_JSON_MAX_BYTES}: keep large data out of the spec`);
    }
    const spec = applySpecOverrides(json, PLACEHOLDER);
    checkHooks("oci_spec_json: /hooks", spec.hooks, true);
    // The host last, once every field is known to be well formed.
    await checkRootfsOnHost(options);
    await checkSpecOnHost(spec);
    await checkHooksOnHost("oci_spec_json: /hooks", mergeHooks(spec.hooks, undefined), true);
    await checkHooksOnHost("hooks", mergeHooks(undefined, options.hooks));
    return;
  }
  // An image's entrypoint and cmd fill in empty args at Create, once the
  // image is known; a stand-in lets the rest be checked now.
  const args = options.process?.args ?? [];
  const fromImage = options.image !== undefined && options.image !== "" && args.length === 0;
  buildDefaultSpec({
    process: { ...options.process, args: fromImage ? ["image-command"] : args },
    rootfsPath: PLACEHOLDER.rootfsPath,
    hostname: options.hostname,
    mounts: options.mounts,
    resources: options.resources,
    labels: options.labels,
    security: { checked: security },
  });
  await checkRootfsOnHost(options);
  // Device nodes are looked at now, so a missing one fails before any work.
  await resolveDevices(security.devices, false);
  const cpus = options.resources?.cpusetCpus;
  if (cpus !== undefined) await checkCpusOnline("resources.cpuset_cpus", cpus);
  const weight = options.resources?.blkioWeight;
  if (weight !== undefined) await checkBlockIoWeightOnHost("resources.blkio_weight", Number(weight));
  const mounts = options.mounts ?? [];
  for (let i = 0; i < mounts.length; i++) await checkBindSource(`mounts[${i}].source`, mounts[i]?.source);
  await checkHooksOnHost("hooks", mergeHooks(undefined, options.hooks));
}

async function checkRootfsOnHost(options: CreateFields): Promise<void> {
  const source = options.rootfs?.source;
  if (source?.case === "path" && source.value !== undefined) await checkRootfsFolder("rootfs.path", source.value);
}
