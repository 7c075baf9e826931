// The Ping probe's client, in a process of its own: "another client" of the
// daemon, which neither the suite's work (generating and judging cases, in
// the test process) nor the hostile caller's (encoding huge requests) can
// hold up. While started it pings the daemon over its own connection every
// INTERVAL_MS and times each answer from the moment it was sent.
//
// For each ping it also reads, from the kernel's schedstat, how long the
// daemon's main thread (the one that runs its event loop, and so answers
// Ping) and this process's thread sat runnable without a CPU while the ping
// waited. That time is the host's CPU contention, not the daemon's doing.
// The time the daemon's thread sat blocked in a spawn (in the fork, off the
// CPU, or waiting until its child has called exec) is counted apart
// (spawnWaitMs): sampled every SAMPLE_MS by a worker thread
// (so the thread that pings stays idle while it waits, and its own run
// queue wait is only its own). What remains ("own") is the daemon's: its loop busy, garbage
// collection, a spawn's fork, a synchronous file call or spawn, a stop.
//
//   node ping-probe-process.mjs <socket path> <daemon pid>   (IPC channel)
//
// Messages: { op: "start" }; { op: "stop" } answers { op: "samples",
// samples }; { op: "alive" } answers { op: "alive", error? }; { op: "close" }.
// Each sample is { at, ms, ownMs, daemonWaitMs, daemonCpuMs, selfWaitMs,
// spawnWaitMs, error? }, at being the epoch time (ms) the ping was sent.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import * as grpc from "@grpc/grpc-js";

const [socketPath, daemonPid] = isMainThread ? process.argv.slice(2) : workerData.argv;
const INTERVAL_MS = 20;
const SAMPLE_MS = 2;
const PING = "/berth.v1.SystemService/Ping";
const empty = Buffer.alloc(0);
const identity = (b) => b;

const client = isMainThread ? new grpc.Client(`unix:${socketPath}`, grpc.credentials.createInsecure()) : undefined;

// schedstat of one thread: [ns on a CPU, ns waiting runnable for one].
function schedstat(path) {
  try {
    const [cpu, wait] = readFileSync(path, "utf8").split(" ").map(Number);
    return [cpu / 1e6, wait / 1e6];
  } catch {
    return [0, 0];
  }
}
const DAEMON = `/proc/${daemonPid}/task/${daemonPid}/schedstat`;

// otherThreadsWait sums the run queue wait (ms) of the daemon's threads but
// its main one.
function otherThreadsWait() {
  let sum = 0;
  try {
    for (const tid of readdirSync(`/proc/${daemonPid}/task`)) if (tid !== String(daemonPid)) sum += schedstat(`/proc/${daemonPid}/task/${tid}/schedstat`)[1];
  } catch {
    // exited
  }
  return sum;
}
const SELF = `/proc/self/task/${process.pid}/schedstat`;

// stat reads a thread's or process's name and state ("R", "S", "D", ...).
function stat(path) {
  try {
    const text = readFileSync(path, "utf8");
    const close = text.lastIndexOf(")");
    return { comm: text.slice(text.indexOf("(") + 1, close), state: text[close + 2] };
  } catch {
    return undefined;
  }
}
const DAEMON_COMM = isMainThread ? undefined : stat(`/proc/${daemonPid}/stat`)?.comm;

// spawnWaiting: the daemon's main thread is blocked in a spawn: in the
// fork itself (clone, off the CPU: copying its mappings waits on their
// lock), or waiting while a child of its own, not yet exec'd (still named as
// the daemon), gets to exec. A child that has exec'd (runc, conmon) does not
// count: a daemon blocked on that is a synchronous spawn, its own doing.
function spawnWaiting() {
  const main = stat(`/proc/${daemonPid}/task/${daemonPid}/stat`);
  if (main === undefined || (main.state !== "S" && main.state !== "D")) return false;
  try {
    const n = readFileSync(`/proc/${daemonPid}/task/${daemonPid}/syscall`, "utf8").split(" ")[0];
    if (n === "56" || n === "57" || n === "58" || n === "435") return true;
  } catch {
    // exited
  }
  let children;
  try {
    children = readFileSync(`/proc/${daemonPid}/task/${daemonPid}/children`, "utf8").trim().split(" ").filter(Boolean);
  } catch {
    return false;
  }
  return children.some((pid) => {
    const child = stat(`/proc/${pid}/stat`);
    return child !== undefined && child.comm === DAEMON_COMM;
  });
}

const epochNow = () => performance.timeOrigin + performance.now();

// The syscalls a blocked daemon is most likely in (x86_64 numbers).
const SYSCALLS = { 0: "read", 1: "write", 7: "poll", 56: "clone", 57: "fork", 58: "vfork", 59: "execve", 61: "wait4", 74: "fsync", 75: "fdatasync", 82: "rename", 83: "mkdir", 84: "rmdir", 87: "unlink", 165: "mount", 166: "umount2", 202: "futex", 232: "epoll_wait", 257: "openat", 281: "epoll_pwait", 435: "clone3" };

// blockedIn says what the daemon's main thread is blocked in, when it is
// (syscall and kernel function), for reports.
function blockedIn() {
  const main = stat(`/proc/${daemonPid}/task/${daemonPid}/stat`);
  if (main === undefined || (main.state !== "S" && main.state !== "D")) return undefined;
  let call = "?";
  let wchan = "?";
  try {
    const n = readFileSync(`/proc/${daemonPid}/task/${daemonPid}/syscall`, "utf8").split(" ")[0];
    call = SYSCALLS[n] ?? `syscall ${n}`;
  } catch {}
  try {
    wchan = readFileSync(`/proc/${daemonPid}/task/${daemonPid}/wchan`, "utf8");
  } catch {}
  return `${main.state} in ${call} (${wchan})`;
}

// totals[0] is the worker's running total of spawn wait (ms), totals[1] of
// the daemon's main thread blocked on a futex (waiting for another of its
// threads: a garbage collector's helpers, the thread pool). The
// worker also keeps the last few seconds of what the daemon was blocked in,
// and sums it for a window when asked (why a ping was slow).
const spawnWaitTotal = new Float64Array(isMainThread ? new SharedArrayBuffer(16) : workerData.total);
let sampler;
if (!isMainThread) {
  let sampled = epochNow();
  const blocked = [];
  setInterval(() => {
    const now = epochNow();
    if (spawnWaiting()) spawnWaitTotal[0] += now - sampled;
    else {
      const reason = blockedIn();
      if (reason !== undefined && reason.includes(" in futex ")) spawnWaitTotal[1] += now - sampled;
      if (reason !== undefined && !/epoll/.test(reason)) blocked.push({ at: now, ms: now - sampled, reason });
      while (blocked.length > 0 && blocked[0].at < now - 5000) blocked.shift();
    }
    sampled = now;
  }, SAMPLE_MS);
  parentPort.on("message", ({ from, to }) => {
    const sums = new Map();
    for (const b of blocked) if (b.at >= from && b.at <= to) sums.set(b.reason, (sums.get(b.reason) ?? 0) + b.ms);
    parentPort.postMessage([...sums].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([reason, ms]) => `${Math.round(ms)} ms ${reason}`).join(", "));
  });
} else {
  sampler = new Worker(new URL(import.meta.url), { workerData: { argv: [socketPath, daemonPid], total: spawnWaitTotal.buffer } });
  sampler.unref();
}

// blockedDuring asks the sampler what the daemon was blocked in, outside
// epoll, between from and to.
function blockedDuring(from, to) {
  return new Promise((resolve) => {
    sampler.once("message", resolve);
    sampler.postMessage({ from, to });
  });
}

function ping(c, deadlineMs) {
  return new Promise((resolve) => {
    c.makeUnaryRequest(PING, identity, identity, empty, { deadline: Date.now() + deadlineMs }, (err) => resolve(err ? err.message : undefined));
  });
}

let running = false;
let samples = [];
let loop = Promise.resolve();

async function run() {
  while (running) {
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
    const [daemonCpu0, daemonWait0] = schedstat(DAEMON);
    const [, selfWait0] = schedstat(SELF);
    const at = epochNow();
    const spawnWait0 = spawnWaitTotal[0];
    const futex0 = spawnWaitTotal[1];
    const others0 = otherThreadsWait();
    const error = await ping(client, 2000);
    let spawnWaitMs = spawnWaitTotal[0] - spawnWait0;
    // The main thread waiting on a futex for its other threads while they
    // waited for a CPU is contention too, as much as both.
    const threadWaitMs = Math.min(spawnWaitTotal[1] - futex0, Math.max(0, otherThreadsWait() - others0));
    const ms = epochNow() - at;
    const [daemonCpu1, daemonWait1] = schedstat(DAEMON);
    const [, selfWait1] = schedstat(SELF);
    const daemonWaitMs = daemonWait1 - daemonWait0 + threadWaitMs;
    const selfWaitMs = selfWait1 - selfWait0;
    const daemonCpuMs = daemonCpu1 - daemonCpu0;
    // A spawn's wait is taken only from the time the daemon's thread was
    // neither running nor runnable.
    spawnWaitMs = Math.min(spawnWaitMs, Math.max(0, ms - daemonWaitMs - selfWaitMs - daemonCpuMs));
    // What the daemon was blocked in, for a ping slow enough to report.
    const blocked = ms > 50 ? await blockedDuring(at, at + ms) : "";
    samples.push({
      at,
      ms,
      // The daemon's loop running is its own, whatever else overlapped.
      ownMs: Math.max(daemonCpuMs, ms - daemonWaitMs - selfWaitMs - spawnWaitMs),
      daemonWaitMs,
      daemonCpuMs,
      selfWaitMs,
      spawnWaitMs,
      ...(blocked !== "" && { blocked }),
      ...(error !== undefined && { error }),
    });
  }
}

// realtime puts this process's threads in the FIFO class (root only), so
// on a host busy with other suites the sampler is not starved into missing
// spawn waits, nor the pinging thread into waits of its own. The one
// thread that runs often wakes every SAMPLE_MS for a few reads.
let realtime = false;
function goRealtime() {
  if (realtime) return;
  realtime = spawnSync("chrt", ["--all-tasks", "--fifo", "--pid", "1", String(process.pid)], { stdio: "ignore" }).status === 0;
}

if (isMainThread) process.on("message", async (msg) => {
  if (msg.op === "start") {
    goRealtime();
    // The connection is up before anything is timed.
    await ping(client, 5000);
    samples = [];
    running = true;
    loop = run();
    process.send({ op: "started" });
  } else if (msg.op === "stop") {
    running = false;
    await loop;
    process.send({ op: "samples", samples });
  } else if (msg.op === "alive") {
    const fresh = new grpc.Client(`unix:${socketPath}`, grpc.credentials.createInsecure());
    const error = await ping(fresh, 3000);
    fresh.close();
    process.send({ op: "alive", ...(error !== undefined && { error }) });
  } else if (msg.op === "close") {
    running = false;
    await loop;
    client.close();
    process.disconnect();
  }
});
