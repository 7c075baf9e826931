// resolveSettings merges where each setting may come from, first found
// wins: a flag, then an environment variable (BERTH_*), then the config
// file, then the default. A flag's or a variable's text is read by its
// setting's type and checked against the same schema as the file's value,
// so `--log-level loud`, BERTH_LOG_LEVEL=loud and `level = "loud"` are
// refused alike, each naming where the value came from.
import { invalidArgument } from "../errors/berth-error.js";
import { validateSetting } from "./config-schema.js";
import type { ConfigValues } from "./load-config.js";
import { SETTINGS, type Setting, type SettingValue } from "./settings.js";

export type SettingSource = "flag" | "env" | "file" | "default";

export interface ResolvedSetting {
  value: SettingValue;
  from: SettingSource;
}

export interface SettingInputs {
  // flags are the command line's values by flag name (parse-argv).
  flags: Record<string, string | boolean | string[] | undefined>;
  env: NodeJS.ProcessEnv;
  file?: ConfigValues;
}

export type ResolvedSettings = Map<string, ResolvedSetting>;

// flagError makes the error for a bad flag (the CLI's usage error); a bad
// variable or file value is INVALID_ARGUMENT.
export function resolveSettings(inputs: SettingInputs, flagError: (message: string) => Error = invalidArgument): ResolvedSettings {
  const out: ResolvedSettings = new Map();
  for (const s of SETTINGS) {
    const flag = inputs.flags[s.flag];
    const env = inputs.env[s.env];
    if (flag !== undefined) out.set(s.key, { value: fromText(s, flag, `--${s.flag}`, flagError), from: "flag" });
    else if (env !== undefined && env !== "") out.set(s.key, { value: fromText(s, env, s.env, invalidArgument), from: "env" });
    else if (inputs.file?.has(s.key)) out.set(s.key, { value: inputs.file.get(s.key)!, from: "file" });
    else if (s.default !== undefined) out.set(s.key, { value: s.default, from: "default" });
  }
  return out;
}

// fromText reads a flag's or a variable's value as its setting's type.
function fromText(s: Setting, text: string | boolean | string[], where: string, fail: (message: string) => Error): SettingValue {
  let value: SettingValue = text;
  if (s.schema.type === "array") {
    // A repeated flag gives a list; a variable, items separated by commas
    // (or the setting's separator).
    value = Array.isArray(text) ? text : String(text).split(s.separator ?? ",").map((t) => t.trim()).filter((t) => t !== "");
  } else if (Array.isArray(text)) {
    value = text.at(-1) ?? "";
  } else if (typeof text === "string" && s.schema.type === "boolean") {
    const t = text.toLowerCase();
    value = ["1", "true", "yes", "on"].includes(t) ? true : ["0", "false", "no", "off"].includes(t) ? false : text;
  } else if (typeof text === "string" && s.schema.type === "integer" && /^[0-9]+$/.test(text)) {
    value = Number(text);
  }
  if (!validateSetting(s, value)) throw fail(`${where} ${JSON.stringify(String(text).slice(0, 80))} is not allowed: give ${s.allowed} (config key ${s.key})`);
  return value;
}
