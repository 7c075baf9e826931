// Whether the host's cgroups can limit a container's memory and its swap,
// the way Docker's pkg/sysinfo decides it.
import { access, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

import { parseCgroupMounts, v1Controllers, type CgroupMount } from "../cgroup/parse-mountinfo.js";

export interface MemorySupport {
  memoryLimit: boolean;
  swapLimit: boolean;
}

// readMemorySupport looks at the cgroup hierarchies this process sees.
export async function readMemorySupport(mountinfo = "/proc/self/mountinfo"): Promise<MemorySupport> {
  return memorySupport(parseCgroupMounts(await readFile(mountinfo, "utf8")));
}

// memorySupport looks for the limit files through the given mounts. A v1
// memory controller wins over a cgroup2 hierarchy: on a hybrid host the
// cgroup2 mount carries no controllers, and runc limits memory through v1.
export async function memorySupport(mounts: readonly CgroupMount[]): Promise<MemorySupport> {
  const v1 = mounts.find((m) => m.version === 1 && v1Controllers(m).includes("memory"));
  if (v1 !== undefined) {
    // memory.memsw.* exist only with swap accounting (CONFIG_MEMCG_SWAP, and
    // no swapaccount=0 on the kernel command line).
    const [memoryLimit, swapLimit] = await Promise.all([
      exists(join(v1.mountPoint, "memory.limit_in_bytes")),
      exists(join(v1.mountPoint, "memory.memsw.limit_in_bytes")),
    ]);
    return { memoryLimit, swapLimit: memoryLimit && swapLimit };
  }
  for (const m of mounts.filter((m) => m.version === 2)) {
    const controllers = (await readFile(join(m.mountPoint, "cgroup.controllers"), "utf8").catch(() => "")).split(/\s+/);
    if (!controllers.includes("memory")) continue;
    // The root cgroup has no memory.max: the files show in the children of
    // a cgroup whose subtree_control enables memory, so ask one of those.
    for (const child of await subdirectories(m.mountPoint)) {
      if (await exists(join(m.mountPoint, child, "memory.max"))) {
        return { memoryLimit: true, swapLimit: await exists(join(m.mountPoint, child, "memory.swap.max")) };
      }
    }
    // No child has memory enabled yet; runc enables it for a container's
    // cgroup, so an available controller is enough, and swap is assumed,
    // as Docker assumes it on cgroup v2.
    return { memoryLimit: true, swapLimit: true };
  }
  return { memoryLimit: false, swapLimit: false };
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function subdirectories(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => e.name);
}
