// failpoint kills the daemon on the spot (SIGKILL: no cleanup, no flush)
// when the BERTH_FAILPOINT environment variable names this point, as
// containerd's and etcd's failpoints do. The fault tests crash a daemon this
// way at an exact step of Create, Delete or a restart. Unset, a failpoint
// costs one Set lookup.
//
// BERTH_FAILPOINT is a comma-separated list of names; "name@N" fires on the
// Nth time the point is reached (counting from 1) instead of the first.
// "name@N=ENOSPC/K" makes the point fail with that errno instead of
// killing, on reaching it the Nth time and the K-1 times after (K defaults
// to 1): a disk that fills up, then has room again (see failpointError).
const armed = parse(process.env["BERTH_FAILPOINT"] ?? "");
const reached = new Map<string, number>();

interface Armed {
  at: number;
  // errno set: the point fails with it for `times` hits instead of killing.
  errno?: string;
  times: number;
}

export function failpoint(name: string): void {
  const point = hit(name);
  if (point === undefined || point.fault.errno !== undefined) return;
  // A signal a process sends itself is delivered before kill(2) returns.
  if (point.n === point.fault.at) process.kill(process.pid, "SIGKILL");
}

// failpointError returns the error an armed "name@N=ERRNO/K" point makes
// this hit fail with, or undefined. The caller throws it where the system
// call it stands for would have failed.
export function failpointError(name: string): NodeJS.ErrnoException | undefined {
  const point = hit(name);
  if (point === undefined || point.fault.errno === undefined) return undefined;
  if (point.n < point.fault.at || point.n >= point.fault.at + point.fault.times) return undefined;
  const err: NodeJS.ErrnoException = new Error(`${point.fault.errno}: failpoint ${name}`);
  err.code = point.fault.errno;
  return err;
}

function hit(name: string): { fault: Armed; n: number } | undefined {
  if (armed.size === 0) return undefined;
  const fault = armed.get(name);
  if (fault === undefined) return undefined;
  const n = (reached.get(name) ?? 0) + 1;
  reached.set(name, n);
  return { fault, n };
}

function parse(text: string): Map<string, Armed> {
  const out = new Map<string, Armed>();
  for (const item of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    const [point, fault] = item.split("=");
    const [name, count] = point!.split("@");
    const at = count === undefined ? 1 : Math.max(1, Number.parseInt(count, 10) || 1);
    if (fault === undefined) {
      out.set(name!, { at, times: 1 });
      continue;
    }
    const [errno, times] = fault.split("/");
    out.set(name!, { at, errno: errno!, times: times === undefined ? 1 : Math.max(1, Number.parseInt(times, 10) || 1) });
  }
  return out;
}
