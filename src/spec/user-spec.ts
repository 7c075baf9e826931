import { invalidArgument } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import type { OciSpec } from "./oci-spec.js";
import { checkMountPlacement, normalizeDestination } from "./mount-rules.js";
import type { OciMount } from "./oci-spec.js";
import { checkArgs, checkEnv } from "./process-spec.js";
import { OCI_SPEC_JSON_MAX_BYTES, checkExecStrings } from "./request-limits.js";
import { DEFAULT_CWD, OCI_VERSION } from "./spec-defaults.js";
import { validateOciSpec } from "./validate-oci-spec.js";

export interface SpecOverrides {
  rootfsPath: string;
  // readonlyRootfs true means rootfsPath is a shared directory, not an
  // overlay: the spec then cannot make it writable.
  readonlyRootfs?: boolean | undefined;
  cgroupsPath: string;
}

type JsonObject = Record<string, unknown>;

// applySpecOverrides takes a full runtime spec (config.json bytes) from a
// user and returns it with the fields berth owns set: root.path (berth
// prepares the root filesystem), root.readonly when the rootfs is shared,
// and linux.cgroupsPath (berth finds stats and cleans up by it). Everything
// else is kept as given; missing process.cwd and process.user take the
// defaults "/" and root, which runc would otherwise reject. The spec is
// checked against berth's schema of what runc reads first, so a field of
// the wrong type is the client's INVALID_ARGUMENT, not runc's failure.
export function applySpecOverrides(specJson: Uint8Array, overrides: SpecOverrides): OciSpec {
  const spec = parse(specJson);
  const process = spec["process"];
  if (!isObject(process)) {
    throw invalidArgument('the spec has no "process" object: add one with at least "args", e.g. {"process": {"args": ["sh"]}}');
  }
  // The friendlier word for the commonest mistake, before the schema's.
  if (process["args"] === undefined || (Array.isArray(process["args"]) && process["args"].length === 0)) checkArgs(undefined);
  // Only a field left out takes the default: ??= would also replace a null,
  // and the schema would then never see the client's mistake.
  if (process["cwd"] === undefined) process["cwd"] = DEFAULT_CWD;
  if (process["user"] === undefined) process["user"] = { uid: 0, gid: 0 };
  validateOciSpec(spec);
  const args = process["args"] as unknown[];
  const env = (process["env"] ?? []) as unknown[];
  checkExecStrings("process", args, env);
  checkArgs(args);
  checkEnv(env);
  const cwd = process["cwd"] as string;
  if (!cwd.startsWith("/")) {
    throw invalidArgument(`process.cwd ${quote(cwd)} must be an absolute path inside the container`);
  }
  const mounts = (spec["mounts"] ?? []) as OciMount[];
  mounts.forEach((mount, i) => checkMountPlacement(`oci_spec_json: /mounts/${i}`, mount));
  // runc's init reads /proc/self/fd inside the container: without procfs
  // there it fails after the monitor started ("error closing exec fds").
  if (!mounts.some((m) => m.type === "proc" && normalizeDestination("", m.destination) === "/proc")) {
    throw invalidArgument('oci_spec_json: /mounts has no procfs at /proc, which runc needs: add {"destination": "/proc", "type": "proc", "source": "proc"}');
  }

  const root = spec["root"] ?? {};
  const linux = spec["linux"] ?? {};
  if (spec["ociVersion"] === undefined) spec["ociVersion"] = OCI_VERSION;
  spec["root"] = { ...(root as JsonObject), path: overrides.rootfsPath, readonly: overrides.readonlyRootfs === true || (root as JsonObject)["readonly"] === true };
  spec["linux"] = { ...(linux as JsonObject), cgroupsPath: overrides.cgroupsPath };
  // Checked against the schema above; other fields pass through as the user wrote them.
  return spec as unknown as OciSpec;
}

function parse(bytes: Uint8Array): JsonObject {
  if (bytes.length > OCI_SPEC_JSON_MAX_BYTES) {
    throw invalidArgument(`oci_spec_json is ${bytes.length} bytes, over the limit of ${OCI_SPEC_JSON_MAX_BYTES}: keep large data out of the spec`);
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (err) {
    // V8's message quotes a piece of the input: keep it short.
    const reason = (err as Error).message.slice(0, 160);
    throw invalidArgument(`the spec is not valid UTF-8 JSON (${reason}): give an OCI runtime spec such as \`runc spec\` writes`);
  }
  if (!isObject(value)) throw invalidArgument("the spec must be a JSON object, as `runc spec` writes");
  return value;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
