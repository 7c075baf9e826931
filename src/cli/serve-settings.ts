// The settings of `berth serve` as the CLI sees them: one flag per setting
// of src/config/settings.ts (--state-dir and --socket are global options),
// plus --config FILE; and serveValues, which merges flags, BERTH_*
// variables, the config file and the defaults into the flag-named values
// the rest of serve reads, as if every setting had been given as a flag.
import { existsSync } from "node:fs";
import { loadConfigFile } from "../config/load-config.js";
import { resolveSettings } from "../config/resolve-settings.js";
import { SETTINGS } from "../config/settings.js";
import type { CommandContext } from "./command.js";
import { GLOBAL_OPTIONS } from "./global-options.js";
import type { OptionSpec, OptionValue } from "./parse-argv.js";
import { UsageError } from "./usage-error.js";

export const DEFAULT_CONFIG_FILE = "/etc/berth/config.toml";

const globalFlags = new Set(GLOBAL_OPTIONS.map((o) => o.name));

export const SERVE_OPTIONS: OptionSpec[] = [
  { name: "config", type: "string", value: "FILE", help: `the TOML config file (env BERTH_CONFIG; default ${DEFAULT_CONFIG_FILE} if it exists; \`berth config default\` prints one)` },
  ...SETTINGS.filter((s) => !globalFlags.has(s.flag)).map((s): OptionSpec => {
    const isSwitch = s.schema.type === "boolean" && s.default === false;
    const shown = s.default !== undefined && !Array.isArray(s.default) ? `default ${String(s.default)}; ` : "";
    return {
      name: s.flag,
      type: isSwitch ? "boolean" : "string",
      ...(s.schema.type === "array" && { multiple: true }),
      ...(!isSwitch && { value: valueName(s) }),
      help: `${s.comment} (${shown}env ${s.env}; config ${s.key})`,
    };
  }),
];

function valueName(s: (typeof SETTINGS)[number]): string {
  if (s.value !== undefined) return s.value;
  if (s.schema.type === "integer") return "N";
  if (s.schema.type === "boolean") return "true|false";
  if (s.schema.type === "array") return "HOST";
  if (s.schema.anyOf !== undefined) return "BYTES";
  return s.key.slice(s.key.lastIndexOf(".") + 1).toUpperCase();
}

// configPath is the file to read: --config, else BERTH_CONFIG, else the
// default file when it exists (a missing default is no error; a missing
// file that was asked for is).
export function configPath(ctx: CommandContext): string | undefined {
  const given = ctx.values["config"];
  if (typeof given === "string") return given;
  const env = ctx.env["BERTH_CONFIG"];
  if (env !== undefined && env !== "") return env;
  return existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined;
}

export function serveValues(ctx: CommandContext): Record<string, OptionValue | undefined> {
  const path = configPath(ctx);
  const inputs = { flags: ctx.values, env: ctx.env, ...(path !== undefined && { file: loadConfigFile(path) }) };
  const resolved = resolveSettings(inputs, (message) => new UsageError(message));
  const values: Record<string, OptionValue | undefined> = {};
  for (const s of SETTINGS) {
    const r = resolved.get(s.key);
    if (r !== undefined) values[s.flag] = typeof r.value === "boolean" || Array.isArray(r.value) ? r.value : String(r.value);
  }
  return values;
}
