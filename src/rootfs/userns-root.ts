// A user-namespaced container's root filesystem must be reachable by its
// mapped root: runc's init mounts root.path from inside the new user
// namespace, where the host's root-only folders (the state directory is
// 0700) refuse it. Docker opens its daemon root to 0711 for this; berth's
// state directory holds images, journals and exit files that must stay
// private, so instead the overlay is bound at a path made only for it:
// /run/berth-userns (0711) / <hash of the container folder> (0710, group
// the container's root, so no other host user may enter) / rootfs.
// releaseContainerRootfs (overlay.ts) undoes the bind.
import { chown, mkdir } from "node:fs/promises";
import { join } from "node:path";

import { BerthError } from "../errors/berth-error.js";
import { loadExeca } from "../runtime/lazy-execa.js";
import { isMountPoint } from "./overlay.js";
import { USERNS_ROOTS_DIR, usernsRootOf } from "./userns-root-path.js";

// exposeRootForUserns binds rootfs (the overlay) at usernsRootOf and
// returns that path for the spec's root.path; gid is the host gid of the
// container's root.
export async function exposeRootForUserns(containerDir: string, rootfs: string, gid: number): Promise<string> {
  const target = usernsRootOf(containerDir);
  const folder = join(target, "..");
  await mkdir(USERNS_ROOTS_DIR, { recursive: true, mode: 0o711 });
  await mkdir(folder, { recursive: true, mode: 0o710 });
  await chown(folder, 0, gid);
  await mkdir(target, { recursive: true, mode: 0o755 });
  if (await isMountPoint(target)) return target;
  const result = await (await loadExeca())("mount", ["--bind", rootfs, target], { stdin: "ignore", reject: false });
  if (result.exitCode !== 0) throw new BerthError("internal", `cannot bind the root filesystem at ${target} for the user namespace: ${result.stderr.trim() || result.shortMessage}`);
  return target;
}
