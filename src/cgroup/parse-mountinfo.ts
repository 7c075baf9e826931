// One cgroup filesystem mount as /proc/self/mountinfo shows it.
export interface CgroupMount {
  version: 1 | 2;
  // mountPoint is where the hierarchy is visible in our mount namespace.
  mountPoint: string;
  // root is the cgroup path (inside the hierarchy) that mountPoint shows;
  // it is "/" except for bind mounts and mounts made inside a cgroup namespace.
  root: string;
  // superOptions of a v1 mount name its controllers ("cpu", "cpuacct",
  // "name=systemd") among flags such as "rw"; empty for cgroup2.
  superOptions: string[];
}

// parseCgroupMounts picks the cgroup and cgroup2 mounts out of the text of a
// mountinfo file, in file order. Pure, so tests feed it any host's layout.
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of mountinfo.split("\n")) {
    const mount = parseLine(line);
    if (mount) mounts.push(mount);
  }
  return mounts;
}

// parseLine handles the variable number of optional fields ("shared:1",
// "master:2") by splitting at the lone "-" that ends them, as proc(5) says.
function parseLine(line: string): CgroupMount | undefined {
  const fields = line.split(" ");
  const dash = fields.indexOf("-", 6);
  if (dash < 0 || fields.length < dash + 4) return undefined;
  const fsType = fields[dash + 1];
  if (fsType !== "cgroup" && fsType !== "cgroup2") return undefined;
  return {
    version: fsType === "cgroup2" ? 2 : 1,
    root: unescapeOctal(fields[3]!),
    mountPoint: unescapeOctal(fields[4]!),
    superOptions: fsType === "cgroup2" ? [] : fields[dash + 3]!.split(","),
  };
}

// The kernel writes space, tab, newline and backslash in paths as \ooo.
function unescapeOctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

// The v1 super options that are flags, not controllers.
const V1_FLAGS = new Set(["rw", "ro", "noprefix", "clone_children", "xattr", "cpuset_v2_mode", "favordynmods"]);

// v1Controllers names the controllers (and "name=" hierarchies) a v1 mount
// carries, so "rw,cpu,cpuacct" gives ["cpu", "cpuacct"].
export function v1Controllers(mount: CgroupMount): string[] {
  return mount.superOptions.filter((opt) => !V1_FLAGS.has(opt) && !opt.startsWith("release_agent="));
}
