// The host's operating system as os-release(5) names it.
import { readFile } from "node:fs/promises";

// os-release(5): /etc/os-release, or failing that the vendor's copy.
const OS_RELEASE_FILES = ["/etc/os-release", "/usr/lib/os-release"];

export interface OsRelease {
  // prettyName is PRETTY_NAME, or "Linux", the default os-release(5) gives it.
  prettyName: string;
  // versionId is VERSION_ID, empty when the file has none (rolling releases).
  versionId: string;
}

// readOsRelease reads the first os-release file there is; a host with none
// is plain "Linux".
export async function readOsRelease(files: readonly string[] = OS_RELEASE_FILES): Promise<OsRelease> {
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") continue;
      throw err;
    }
    const vars = parseOsRelease(text);
    return { prettyName: vars.get("PRETTY_NAME") || "Linux", versionId: vars.get("VERSION_ID") ?? "" };
  }
  return { prettyName: "Linux", versionId: "" };
}

// parseOsRelease reads os-release text: KEY=value lines, the value bare or
// quoted as the shell would ("..." with \ escaping ", \, $ and `; '...' as
// is). Comments, blank lines and malformed lines are skipped, as the file
// is also sourced by shells that would ignore them. A Map, so that a key
// such as __proto__ is only a key.
export function parseOsRelease(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m === null) continue;
    const value = unquote(m[2]!);
    if (value !== undefined) vars.set(m[1]!, value);
  }
  return vars;
}

// unquote returns undefined for a value whose quote is never closed.
function unquote(value: string): string | undefined {
  if (value.startsWith("'")) {
    const end = value.indexOf("'", 1);
    return end < 0 ? undefined : value.slice(1, end);
  }
  if (!value.startsWith('"')) return value;
  let out = "";
  for (let i = 1; i < value.length; i++) {
    const c = value[i]!;
    if (c === '"') return out;
    if (c === "\\" && i + 1 < value.length && '"\\$`'.includes(value[i + 1]!)) {
      out += value[++i];
      continue;
    }
    out += c;
  }
  return undefined;
}
