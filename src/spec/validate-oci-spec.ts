// validateOciSpec checks a user's runtime spec against OCI_SPEC_SCHEMA with
// ajv, compiled once, on first use (most daemons never see a user spec).
// The first error becomes one INVALID_ARGUMENT naming the field by its JSON
// pointer: "oci_spec_json: /process/user/uid must be integer".
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";

import { invalidArgument } from "../errors/berth-error.js";
import { OCI_SPEC_SCHEMA } from "./oci-spec-schema.js";

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  // allErrors off: validation stops at the first error, so a hostile spec
  // costs no more than the part of it read so far. The schema is berth's
  // own and tested, so checking it against ajv's meta-schema at every start
  // would only add to the compile's one-time cost (about 100 ms).
  compiled ??= new Ajv({ allErrors: false, strict: true, validateSchema: false }).compile(OCI_SPEC_SCHEMA);
  return compiled;
}

export function validateOciSpec(spec: unknown, field = "oci_spec_json"): void {
  const validate = validator();
  if (validate(spec)) return;
  const error = validate.errors?.[0];
  throw invalidArgument(`${field}: ${error === undefined ? "does not match the OCI runtime spec" : describe(error)}`);
}

// describe turns an ajv error into words that name the field and what it
// must be, with the allowed values of an enum.
function describe(error: ErrorObject): string {
  // The pointer may hold a client's key (an annotation's name): cut it short.
  const path = error.instancePath === "" ? "/" : error.instancePath;
  const where = path.length > 128 ? `${path.slice(0, 128)}…` : path;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return `${where} must have the field "${String(params["missingProperty"])}"`;
    case "enum":
      return `${where} must be one of ${(params["allowedValues"] as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    default:
      return `${where} ${error.message ?? "is not valid"}`;
  }
}
