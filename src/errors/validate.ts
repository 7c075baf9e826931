import { invalidArgument } from "./berth-error.js";

// Ids become path components (state folders, cgroup names, runc ids), so they
// are checked against a strict pattern before anything else touches them.
const ID_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

// validateId throws INVALID_ARGUMENT unless id is safe to use as a path part.
export function validateId(id: string, what = "container id"): string {
  if (!ID_PATTERN.test(id) || id.includes("..")) {
    throw invalidArgument(
      `invalid ${what} ${JSON.stringify(id)}: must match ${ID_PATTERN.source} (letters, digits, '_', '.', '-'; at most 128 characters; no "..")`,
    );
  }
  return id;
}

// validateNamespace applies the id pattern to namespace names.
export function validateNamespace(ns: string): string {
  return validateId(ns, "namespace");
}

export const INIT_PROCESS_ID = "init";

// normalizeProcessId maps "" to the init process and validates exec ids.
export function normalizeProcessId(processId: string | undefined): string {
  if (processId === undefined || processId === "" || processId === INIT_PROCESS_ID) return INIT_PROCESS_ID;
  return validateId(processId, "process id");
}
