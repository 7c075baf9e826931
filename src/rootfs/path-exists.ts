import { lstat } from "node:fs/promises";

// pathExists tells whether path names anything, without following a final
// symlink (a dangling link still exists).
export async function pathExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if (hasErrnoCode(err, "ENOENT", "ENOTDIR")) return false;
    throw err;
  }
}

// hasErrnoCode matches a Node system error by its errno name.
export function hasErrnoCode(err: unknown, ...codes: string[]): boolean {
  return err instanceof Error && "code" in err && codes.includes(String(err.code));
}
