// shiftOwnership gives every file of a container's root filesystem the
// host owner its user namespace maps the file's owner to, so root's files
// inside are the container root's on the host. It runs on the overlay
// mount before the first run: each chown copies the file's metadata up
// into the container's writable layer (metacopy, see overlay.ts), leaving
// the shared image layers as they are. runc 1.1 has no idmapped mounts
// (1.2 does), and util-linux 2.38's mount has no X-mount.idmap, so the
// copy is what this host allows without a helper binary.
//
// Ids the map does not hold are left as they are: inside they show as the
// overflow id (nobody), as with any user namespace. File capabilities
// (security.capability), which the chown drops, are written back made for
// the container's root (see file-capability.ts); Node has no xattr call,
// so @napi-rs/xattr makes it, loaded with the first shift.
import { chmod, lchown, lstat, readdir } from "node:fs/promises";
import { join } from "node:path";

import { toHostId, type IdMappings } from "../api/id-mapping.js";
import { CAPABILITY_XATTR, shiftCapability } from "./file-capability.js";

// Parallel chowns: a copy-up waits on the disk, and a few in flight keep
// libuv's four threads busy without starving the daemon's other work.
const IN_FLIGHT = 8;

export interface ShiftResult {
  entries: number;
}

export async function shiftOwnership(root: string, maps: IdMappings): Promise<ShiftResult> {
  const xattr = await import("@napi-rs/xattr");
  const result = { entries: 0 };
  const pending: string[] = [root];
  const shiftOne = async (path: string): Promise<void> => {
    const st = await lstat(path);
    result.entries++;
    const uid = toHostId(maps.uid, st.uid);
    const gid = toHostId(maps.gid, st.gid);
    if ((uid !== undefined && uid !== st.uid) || (gid !== undefined && gid !== st.gid)) {
      // Only a regular file's capabilities count on exec.
      const caps = st.isFile() ? await xattr.getAttribute(path, CAPABILITY_XATTR) : null;
      await lchown(path, uid ?? st.uid, gid ?? st.gid);
      // chown clears set-uid and set-gid, even root's (chown(2)).
      if (st.isFile() && (st.mode & 0o6000) !== 0) await chmod(path, st.mode & 0o7777);
      const shifted = caps === null ? undefined : shiftCapability(caps, maps);
      if (shifted !== undefined) await xattr.setAttribute(path, CAPABILITY_XATTR, shifted);
    }
    if (st.isDirectory()) for (const name of await readdir(path)) pending.push(join(path, name));
  };
  const worker = async (): Promise<void> => {
    for (let path = pending.pop(); path !== undefined; path = pending.pop()) await shiftOne(path);
  };
  // Workers end when the queue is empty; a folder read later refills it,
  // so start them again until nothing is left.
  while (pending.length > 0) await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, pending.length) }, worker));
  return result;
}
