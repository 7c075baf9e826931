// failpoint kills the daemon on the spot (SIGKILL: no cleanup, no flush)
// when the BERTH_FAILPOINT environment variable names this point, as
// containerd's and etcd's failpoints do. The fault tests crash a daemon this
// way at an exact step of Create, Delete or a restart. Unset, a failpoint
// costs one Set lookup.
//
// BERTH_FAILPOINT is a comma-separated list of names; "name@N" fires on the
// Nth time the point is reached (counting from 1) instead of the first.
const armed = parse(process.env["BERTH_FAILPOINT"] ?? "");
const reached = new Map<string, number>();

export function failpoint(name: string): void {
  if (armed.size === 0) return;
  const at = armed.get(name);
  if (at === undefined) return;
  const n = (reached.get(name) ?? 0) + 1;
  reached.set(name, n);
  // A signal a process sends itself is delivered before kill(2) returns.
  if (n === at) process.kill(process.pid, "SIGKILL");
}

function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    const [name, count] = item.split("@");
    out.set(name!, count === undefined ? 1 : Math.max(1, Number.parseInt(count, 10) || 1));
  }
  return out;
}
