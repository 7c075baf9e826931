import { invalidArgument } from "../errors/berth-error.js";
import type { OciSpec } from "./oci-spec.js";
import { checkArgs } from "./process-spec.js";
import { DEFAULT_CWD, OCI_VERSION } from "./spec-defaults.js";

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
// defaults "/" and root, which runc would otherwise reject.
export function applySpecOverrides(specJson: Uint8Array, overrides: SpecOverrides): OciSpec {
  const spec = parse(specJson);
  const process = spec["process"];
  if (!isObject(process)) {
    throw invalidArgument('the spec has no "process" object: add one with at least "args", e.g. {"process": {"args": ["sh"]}}');
  }
  checkArgs(Array.isArray(process["args"]) ? process["args"] : undefined);
  if (process["env"] !== undefined && !isStringArray(process["env"])) {
    throw invalidArgument('process.env must be an array of "KEY=VALUE" strings');
  }
  const cwd = process["cwd"] ?? DEFAULT_CWD;
  if (typeof cwd !== "string" || !cwd.startsWith("/")) {
    throw invalidArgument(`process.cwd ${JSON.stringify(cwd)} must be an absolute path inside the container`);
  }
  process["cwd"] = cwd;
  const user = process["user"] ?? { uid: 0, gid: 0 };
  if (!isObject(user) || !isId(user["uid"]) || !isId(user["gid"])) {
    throw invalidArgument('process.user must be an object with numeric "uid" and "gid", e.g. {"uid": 0, "gid": 0}');
  }
  process["user"] = user;

  const root = spec["root"] ?? {};
  const linux = spec["linux"] ?? {};
  if (!isObject(root)) throw invalidArgument('the spec\'s "root" must be an object');
  if (!isObject(linux)) throw invalidArgument('the spec\'s "linux" must be an object');
  spec["ociVersion"] ??= OCI_VERSION;
  spec["root"] = { ...root, path: overrides.rootfsPath, readonly: overrides.readonlyRootfs === true || root["readonly"] === true };
  spec["linux"] = { ...linux, cgroupsPath: overrides.cgroupsPath };
  // Checked field by field above; other fields pass through as the user wrote them.
  return spec as unknown as OciSpec;
}

function parse(bytes: Uint8Array): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (err) {
    throw invalidArgument(`the spec is not valid UTF-8 JSON (${(err as Error).message}): give an OCI runtime spec such as \`runc spec\` writes`);
  }
  if (!isObject(value)) throw invalidArgument("the spec must be a JSON object, as `runc spec` writes");
  return value;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

function isId(value: unknown): boolean {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}
