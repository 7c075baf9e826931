import type { DescEnum } from "@bufbuild/protobuf";

import { invalidArgument } from "./berth-error.js";
import { quote } from "./quote.js";

// Ids become path components (state folders, cgroup names, runc ids), so they
// are checked against a strict pattern before anything else touches them.
const ID_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

// validateId throws INVALID_ARGUMENT unless id is safe to use as a path part.
export function validateId(id: string, what = "container id"): string {
  if (typeof id !== "string" || !ID_PATTERN.test(id) || id.includes("..")) {
    throw invalidArgument(
      `invalid ${what} ${quote(id)}: must match ${ID_PATTERN.source} (letters, digits, '_', '.', '-'; at most 128 characters; no "..")`,
    );
  }
  return id;
}

// validateNamespace applies the id pattern to namespace names.
export function validateNamespace(ns: string): string {
  return validateId(ns, "namespace");
}

export const INIT_PROCESS_ID = "init";

// normalizeProcessId maps "" to the init process and validates exec ids,
// for the calls where an empty process_id means the init process.
export function normalizeProcessId(processId: string | undefined): string {
  if (processId === undefined || processId === "" || processId === INIT_PROCESS_ID) return INIT_PROCESS_ID;
  return validateId(processId, "process id");
}

// requireProcessId is normalizeProcessId for the calls where the process
// must be named: an empty process_id there is a mistake, not a default.
export function requireProcessId(processId: string | undefined, hint: string): string {
  if (processId === undefined || processId === "") throw invalidArgument(`process_id is required: ${hint}`);
  return normalizeProcessId(processId);
}

// checkEnum throws INVALID_ARGUMENT unless value is one of the enum's
// values (proto3 lets any number through the wire), naming those allowed.
// UNSPECIFIED (0) is allowed where allowUnspecified says it means a default.
export function checkEnum(field: string, value: number, desc: DescEnum, allowUnspecified = true): void {
  const known = desc.values.some((v) => v.number === value && (allowUnspecified || v.number !== 0));
  if (known) return;
  const allowed = desc.values.filter((v) => allowUnspecified || v.number !== 0).map((v) => `${v.name} (${v.number})`);
  // The enum's name within its package: RestartPolicy.Kind, not Kind.
  const name = desc.typeName.slice(desc.file.proto.package.length + 1);
  throw invalidArgument(`${field} ${String(value)} is no ${name}: give one of ${allowed.join(", ")}`);
}
