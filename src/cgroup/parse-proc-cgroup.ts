// One line of /proc/<pid>/cgroup: the process's cgroup in one hierarchy.
export interface ProcCgroupEntry {
  hierarchyId: number;
  // controllers is empty for the cgroup2 line ("0::/path") and lists the
  // controllers of a v1 hierarchy otherwise ("cpu,cpuacct", "name=systemd").
  controllers: string[];
  // path is relative to the root of the hierarchy as our cgroup namespace sees it.
  path: string;
}

// parseProcCgroup reads the text of /proc/<pid>/cgroup. The path is split
// off after the second colon only, since a cgroup name may contain colons.
export function parseProcCgroup(text: string): ProcCgroupEntry[] {
  const entries: ProcCgroupEntry[] = [];
  for (const line of text.split("\n")) {
    const first = line.indexOf(":");
    const second = line.indexOf(":", first + 1);
    if (first < 0 || second < 0) continue;
    const list = line.slice(first + 1, second);
    entries.push({
      hierarchyId: Number(line.slice(0, first)),
      controllers: list === "" ? [] : list.split(","),
      path: line.slice(second + 1),
    });
  }
  return entries;
}
