// The config file's JSON schema, built from SETTINGS: a table per section,
// no key that SETTINGS lacks (additionalProperties: false at every level),
// each value held to its setting's own schema. Compiled once with ajv, the
// validator the OCI spec checks use.
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { SETTINGS, type Setting } from "./settings.js";

type Schema = Record<string, unknown>;

export function configSchema(): Schema {
  const root: Schema & { properties: Record<string, Schema> } = { type: "object", additionalProperties: false, properties: {} };
  for (const s of SETTINGS) {
    const parts = s.key.split(".");
    let at = root;
    for (const section of parts.slice(0, -1)) {
      at.properties[section] ??= { type: "object", additionalProperties: false, properties: {} };
      at = at.properties[section] as typeof root;
    }
    at.properties[parts.at(-1)!] = s.schema;
  }
  return root;
}

let compiled: ValidateFunction | undefined;
const perSetting = new Map<string, ValidateFunction>();

function ajv(): Ajv {
  return new Ajv({ allErrors: false, strict: true });
}

export function validateConfig(value: unknown): ErrorObject | undefined {
  compiled ??= ajv().compile(configSchema());
  return compiled(value) ? undefined : compiled.errors?.[0];
}

// validateSetting checks one value (from a flag or the environment) against
// its setting's schema.
export function validateSetting(setting: Setting, value: unknown): boolean {
  let check = perSetting.get(setting.key);
  if (check === undefined) perSetting.set(setting.key, (check = ajv().compile(setting.schema)));
  return check(value);
}

// sectionsOf lists the tables of the file ("socket", "log", ...).
export function sectionsOf(): string[] {
  return [...new Set(SETTINGS.filter((s) => s.key.includes(".")).map((s) => s.key.split(".")[0]!))];
}
