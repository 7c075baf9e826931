// validateOciSpec checks a user's runtime spec against OCI_SPEC_SCHEMA with
// ajv, compiled once: by prepareOciSpecValidator when a daemon starts, so
// that no client's Create pays for it on the event loop.
// The first error becomes one INVALID_ARGUMENT naming the field by its JSON
// pointer: "oci_spec_json: /process/user/uid must be integer".
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";

import { invalidArgument } from "../errors/berth-error.js";
import { CAPABILITY, NUL_FREE, OCI_SPEC_SCHEMA, SYSCALL_NAME } from "./oci-spec-schema.js";

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  // allErrors off: validation stops at the first error, so a hostile spec
  // costs no more than the part of it read so far. The schema is berth's
  // own and tested, so checking it against ajv's meta-schema at every start
  // would only add to the compile's one-time cost (about 100 ms).
  compiled ??= new Ajv({ allErrors: false, strict: true, validateSchema: false }).compile(OCI_SPEC_SCHEMA);
  return compiled;
}

// prepareOciSpecValidator compiles the schema now (150 ms, up to 900 ms on
// a loaded host), for a daemon to call before it serves: the first Create
// with oci_spec_json would otherwise stall every other client for as long.
export function prepareOciSpecValidator(): void {
  validator();
}

// ociSpecValidatorReady tells whether the schema is compiled already.
export function ociSpecValidatorReady(): boolean {
  return compiled !== undefined;
}

export function validateOciSpec(spec: unknown, field = "oci_spec_json"): void {
  const validate = validator();
  if (validate(spec)) return;
  const error = validate.errors?.[0];
  throw invalidArgument(`${field}: ${error === undefined ? "does not match the OCI runtime spec" : describeSchemaError(error)}`);
}

// describe turns an ajv error into words that name the field and what it
// must be, with the allowed values of an enum.
export function describeSchemaError(error: ErrorObject): string {
  // The pointer may hold a client's key (an annotation's name): cut it short.
  const path = error.instancePath === "" ? "/" : error.instancePath;
  const where = path.length > 128 ? `${path.slice(0, 128)}…` : path;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return `${where} must have the field "${String(params["missingProperty"])}"`;
    case "pattern":
      if (params["pattern"] === NUL_FREE) return `${where} must not contain a NUL character`;
      if (params["pattern"] === SYSCALL_NAME) return `${where} must be a system call name such as "clock_gettime" (lower case letters, digits, '_')`;
      if (params["pattern"] === CAPABILITY) return `${where} must be a capability name such as "CAP_CHOWN" (upper case, no spaces)`;
      return `${where} ${error.message ?? "is not valid"}`;
    case "enum":
      return `${where} must be one of ${(params["allowedValues"] as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    default:
      return `${where} ${error.message ?? "is not valid"}`;
  }
}
