// loadConfig reads berth's TOML config file (smol-toml) and checks it
// against the schema before the daemon does anything: an unknown key or a
// bad value is INVALID_ARGUMENT naming the key by its dotted name and what
// it allows, so a typo never passes silently for a default.
import { readFileSync } from "node:fs";
import { parse, TomlError } from "smol-toml";
import type { ErrorObject } from "ajv";
import { invalidArgument } from "../errors/berth-error.js";
import { sectionsOf, validateConfig } from "./config-schema.js";
import { SETTINGS, settingNamed, type SettingValue } from "./settings.js";

// ConfigValues are the settings a file gives, by dotted key.
export type ConfigValues = Map<string, SettingValue>;

export function loadConfigFile(path: string): ConfigValues {
  let text: string;
  try {
    text = readFileSync(path === "-" ? 0 : path, "utf8");
  } catch (err) {
    throw invalidArgument(`config ${path}: cannot read it: ${(err as Error).message}`);
  }
  return parseConfig(text, path === "-" ? "config on stdin" : `config ${path}`);
}

export function parseConfig(text: string, where: string): ConfigValues {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (err) {
    const why = err instanceof TomlError ? `line ${err.line}, column ${err.column}: ${err.message.split("\n", 1)[0]}` : (err as Error).message;
    throw invalidArgument(`${where} is not valid TOML: ${why}`);
  }
  const error = validateConfig(doc);
  if (error !== undefined) throw invalidArgument(`${where}: ${describe(error, doc)}`);
  const values: ConfigValues = new Map();
  for (const s of SETTINGS) {
    const value = s.key.split(".").reduce<unknown>((at, part) => (at as Record<string, unknown> | undefined)?.[part], doc);
    if (value !== undefined) values.set(s.key, value as SettingValue);
  }
  return values;
}

// describe says what is wrong in the words of the file: the key's dotted
// name, and what it takes.
function describe(error: ErrorObject, doc: unknown): string {
  const path = error.instancePath.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (error.keyword === "additionalProperties") {
    const extra = String((error.params as { additionalProperty: string }).additionalProperty);
    const key = [...path, extra].join(".");
    if (path.length === 0) {
      const top = SETTINGS.filter((s) => !s.key.includes(".")).map((s) => s.key);
      return `unknown key ${JSON.stringify(key)}: the file takes ${top.join(", ")} and the tables ${sectionsOf().map((t) => `[${t}]`).join(", ")}`;
    }
    const inTable = SETTINGS.filter((s) => s.key.startsWith(`${path.join(".")}.`)).map((s) => s.key.slice(path.join(".").length + 1));
    return `unknown key ${JSON.stringify(key)}: [${path.join(".")}] takes ${inTable.join(", ")}`;
  }
  const value = path.reduce<unknown>((at, part) => (at as Record<string, unknown>)[part], doc);
  // An item of a list is named by the list's key and its index.
  const listAt = path.findIndex((_, i) => settingNamed(path.slice(0, i + 1).join("."))?.schema.type === "array");
  if (listAt !== -1 && listAt < path.length - 1) {
    const list = settingNamed(path.slice(0, listAt + 1).join("."))!;
    return `${list.key}[${path.slice(listAt + 1).join("][")}] = ${shown(value)} is not allowed: give ${list.allowed}`;
  }
  const key = path.join(".");
  const setting = settingNamed(key);
  if (setting === undefined) {
    const keys = SETTINGS.filter((s) => s.key.startsWith(`${key}.`)).map((s) => s.key.slice(key.length + 1));
    return `${key} must be a table ([${key}]) of ${keys.join(", ")}`;
  }
  return `${key} = ${shown(value)} is not allowed: give ${setting.allowed}`;
}

function shown(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : value instanceof Date ? value.toISOString() : typeof value === "object" ? (Array.isArray(value) ? "an array" : "a table") : String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
