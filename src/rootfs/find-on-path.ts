import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { delimiter, join } from "node:path";

// findOnPath returns the first executable called name in the directories of
// PATH, or undefined; like `command -v`, without spawning a shell.
export async function findOnPath(name: string, pathEnv = process.env["PATH"] ?? ""): Promise<string | undefined> {
  for (const dir of pathEnv.split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // Not here (or not executable): keep looking, as the shell does.
    }
  }
  return undefined;
}
