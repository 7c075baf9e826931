// Race-free lookups from Node, which has no openat(2): /proc/self/fd/<fd>
// is a "magic link" that the kernel follows by jumping to the very file
// the descriptor holds, never by re-reading a path, so
// open("/proc/self/fd/<dir>/<name>", O_NOFOLLOW) is openat(dir, name,
// O_NOFOLLOW): a rename or a symlink swapped in above dir changes nothing,
// and a symlink at name fails with ELOOP instead of being followed. Every
// lookup in src/copy is one such step of one name (never "..", never a
// "/"), from a descriptor berth holds: the in-root resolution openat2's
// RESOLVE_IN_ROOT gives, done one component at a time in user space as
// filepath-securejoin and libpathrs do (openat2 itself is out of Node's
// reach).
import { constants } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";

// O_PATH (Linux 2.6.39; the same number on x86-64 and arm64): a handle that
// names a file without opening it, so a device node is never opened, only
// looked at.
export const O_PATH = 0o10000000;
export const { O_NOFOLLOW, O_DIRECTORY, O_RDONLY, O_WRONLY, O_CREAT, O_EXCL } = constants;

// fdPath is the path through which the kernel reaches fd (and name in it).
export function fdPath(fd: FileHandle, name?: string): string {
  return name === undefined ? `/proc/self/fd/${fd.fd}` : `/proc/self/fd/${fd.fd}/${name}`;
}

// openNoFollow opens name in dir as an O_PATH handle, a final symlink as
// the link itself.
export function openNoFollow(dir: FileHandle, name: string): Promise<FileHandle> {
  return open(fdPath(dir, name), O_PATH | O_NOFOLLOW);
}

// reopen opens for reading the file a handle names. The magic link is
// followed on purpose: it leads to the same inode, already checked.
export function reopenForReading(handle: FileHandle): Promise<FileHandle> {
  return open(fdPath(handle), O_RDONLY);
}

// checkName refuses what is not one plain component.
export function isPlainName(name: string): boolean {
  return name !== "" && name !== "." && name !== ".." && !name.includes("/") && !name.includes("\0");
}
