// The labels a rig run puts on every container it creates: the run's id,
// and who ran it (the runner's host, boot, pid and the pid's start time),
// so that a later run on the same host can tell a runner that is gone (a
// test runner that crashed or was killed before it deleted its
// containers) from one that is still at work. testcontainers-node does
// this with a reaper container (Ryuk) holding a socket per session; berth's
// clients and daemon share the host, so the kernel's own record of the
// runner's process is enough and no sidecar is needed.
import { readFileSync } from "node:fs";
import { hostname } from "node:os";

export const RUN_LABEL = "berth.rig.run";
export const RUNNER_HOST_LABEL = "berth.rig.runner.host";
export const RUNNER_BOOT_LABEL = "berth.rig.runner.boot";
export const RUNNER_PID_LABEL = "berth.rig.runner.pid";
export const RUNNER_STARTED_LABEL = "berth.rig.runner.started";

// Runner is a process as the kernel knows it: a pid is reused once its
// process has gone, but not together with the same start time in one boot.
export interface Runner {
  host: string;
  boot: string;
  pid: number;
  // started is the process's start time, in clock ticks since boot
  // (field 22 of /proc/<pid>/stat).
  started: string;
}

// thisRunner is the current process as a Runner.
export function thisRunner(): Runner {
  return { host: hostname(), boot: bootId(), pid: process.pid, started: startTimeOf(process.pid) ?? "" };
}

export function runLabels(runId: string, runner: Runner): Record<string, string> {
  return {
    [RUN_LABEL]: runId,
    [RUNNER_HOST_LABEL]: runner.host,
    [RUNNER_BOOT_LABEL]: runner.boot,
    [RUNNER_PID_LABEL]: String(runner.pid),
    [RUNNER_STARTED_LABEL]: runner.started,
  };
}

// runnerIsGone says whether the runner named by a container's labels has
// certainly gone: only on this host can that be known, so a container of
// another host's runner (or one with no runner labels) is never judged gone.
// On this host, a runner is gone when the host has rebooted since, or when
// its pid is free or belongs to a process started at another time.
export function runnerIsGone(labels: Readonly<Record<string, string>>, self: Runner = thisRunner()): boolean {
  if (labels[RUN_LABEL] === undefined || labels[RUNNER_HOST_LABEL] !== self.host) return false;
  const pid = Number(labels[RUNNER_PID_LABEL]);
  const started = labels[RUNNER_STARTED_LABEL];
  if (!Number.isInteger(pid) || pid <= 0 || started === undefined || started === "") return false;
  if (labels[RUNNER_BOOT_LABEL] !== self.boot) return true;
  return startTimeOf(pid) !== started;
}

// startTimeOf reads a process's start time, or undefined when no process
// has that pid.
export function startTimeOf(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces or
  // parentheses itself: the fields after it start past the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields[19];
}

function bootId(): string {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return "";
  }
}
