import { createHash } from "node:crypto";
import { join, resolve } from "node:path";

// USERNS_ROOTS_DIR holds the roots of user-namespaced containers, bound
// where their mapped root can reach them (see userns-root.ts).
export const USERNS_ROOTS_DIR = "/run/berth-userns";

// usernsRootOf is where the container in containerDir gets its root bound:
// a hash, so the path says nothing of the container and fits any id.
export function usernsRootOf(containerDir: string): string {
  const hash = createHash("sha256").update(resolve(containerDir)).digest("hex").slice(0, 32);
  return join(USERNS_ROOTS_DIR, hash, "rootfs");
}
