// A persistent network namespace per container: a new namespace bound onto
// a file, so it outlives the process that made it and the daemon, as
// Podman's and CRI-O's pinns do (a bind-mounted nsfs). CNI plugins enter it
// by path, and runc joins it through the spec's network namespace path.
//
// `unshare --net=FILE ip link set lo up` makes the namespace, the bind
// mount and brings loopback up (runc does that only in namespaces it makes)
// in one process; Node cannot call unshare(2) or mount(2) itself.
import { open, rm } from "node:fs/promises";

import { BerthError } from "../errors/berth-error.js";
import { isMountPoint as isMounted } from "../rootfs/overlay.js";
import { quickSpawn } from "../runtime/quick-spawn.js";

// createNetns makes a network namespace bound at path, its loopback up (an
// empty file is made for the mount point first).
export async function createNetns(path: string): Promise<void> {
  await (await open(path, "a", 0o600)).close();
  const r = await quickSpawn("unshare", [`--net=${path}`, "ip", "link", "set", "lo", "up"], { timeoutMs: 30_000 });
  if (r.exitCode !== 0) throw new BerthError("internal", `cannot create a network namespace at ${path}: ${(r.spawnError?.message ?? r.stderr).trim()}`);
}

// bindNetns binds the network namespace of process pid at path, as
// Podman's setupNetNS does for a namespace the runtime made inside a
// container's user namespace (see NetworkState.postConfigure): the bind
// keeps it alive for CNI and for DEL after the process is gone.
export async function bindNetns(pid: number, path: string): Promise<void> {
  await (await open(path, "a", 0o600)).close();
  const r = await quickSpawn("mount", ["--bind", `/proc/${pid}/ns/net`, path], { timeoutMs: 30_000 });
  if (r.exitCode !== 0) throw new BerthError("internal", `cannot bind the network namespace of process ${pid} at ${path}: ${(r.spawnError?.message ?? r.stderr).trim()}`);
}

// removeNetns unbinds the namespace at path and removes the file; the
// kernel frees the namespace once no process is left in it. A path that
// is not mounted (a Create cut short before unshare) is only removed.
export async function removeNetns(path: string): Promise<void> {
  if (await isMounted(path)) {
    // --lazy is never needed: nothing holds the file open but a plugin
    // mid-call, and calls finish before removal.
    const r = await quickSpawn("umount", [path], { timeoutMs: 30_000 });
    if (r.exitCode !== 0 && (await isMounted(path))) throw new BerthError("internal", `cannot unmount the network namespace at ${path}: ${(r.spawnError?.message ?? r.stderr).trim()}`);
  }
  await rm(path, { force: true });
}
