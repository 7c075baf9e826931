// defaultConfig is the text `berth config default` prints: every setting,
// table by table, with its comment, its flag and variable, and its default
// (one without a default is shown commented out, with an example), as
// TOML that `berth config check` accepts. Values are written by
// smol-toml's stringify, so quoting is TOML's own.
import { stringify } from "smol-toml";
import { SETTINGS, type Setting } from "./settings.js";

export function defaultConfig(): string {
  const out = ["# berth serve's configuration (berth config default). Precedence: flags, then", "# BERTH_* environment variables, then this file, then the defaults shown.", ""];
  let table: string | undefined;
  // Top-level keys must come before the first table.
  const ordered = [...SETTINGS.filter((s) => !s.key.includes(".")), ...SETTINGS.filter((s) => s.key.includes("."))];
  for (const s of ordered) {
    const dot = s.key.lastIndexOf(".");
    const section = dot === -1 ? undefined : s.key.slice(0, dot);
    if (section !== table) {
      out.push(`[${section}]`, "");
      table = section;
    }
    out.push(`# ${s.comment}.`, `# ${s.allowed}; flag --${s.flag}, env ${s.env}`);
    out.push(line(s));
    out.push("");
  }
  return out.join("\n");
}

function line(s: Setting): string {
  const name = s.key.slice(s.key.lastIndexOf(".") + 1);
  if (s.default !== undefined) return stringify({ [name]: s.default }).trim();
  return `# ${stringify({ [name]: s.example ?? "" }).trim()}`;
}
