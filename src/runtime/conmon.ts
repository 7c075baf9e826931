// Conmon starts the monitor that Podman and CRI-O use, once per container and
// once per exec'd process. conmon double-forks, so it outlives the daemon: it
// reaps the process, writes the exit code to --exit-dir and --persist-dir
// (after draining stdio, so the last log line never races the exit), detects
// OOM kills, and logs in k8s-file format.
//
// Its sync pipe (fd 3, named by _OCI_SYNCPIPE) carries one JSON object per
// line: {"data": pid} once the runtime has created the process, or a negative
// data with "message" holding the runtime's stderr; in exec mode a second
// line {"data": exitCode} when the process ends.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import type { Readable } from "node:stream";

import { BerthError } from "../errors/berth-error.js";
import { NO_SPAN, type Span } from "../trace/span.js";
import { quickSpawn } from "./quick-spawn.js";
import { missingBinary, runtimeError } from "./runtime-error.js";

export interface ConmonOptions {
  binary: string;
  runtime: string;
  runtimeRoot: string;
  containerId: string;
  // uuid names this monitor: the container id for init, "<id>.<exec id>" for
  // an exec'd process.
  uuid: string;
  // bundle is where conmon puts its ctl/winsz fifos and attach socket: the
  // container's bundle for init, the exec's own folder for an exec.
  bundle: string;
  pidFile: string;
  exitDir: string;
  persistDir: string;
  logPath: string;
  logSizeMax?: number;
  terminal?: boolean;
  stdin?: boolean;
  // exec runs `runc exec --process <file>` in place of `runc create`.
  execProcessSpec?: string;
  // conmonPidFile is where conmon writes its own pid, so that the monitor's
  // death can be noticed (by this daemon or the next).
  conmonPidFile?: string;
  // span times the monitor's spawn, the runtime's create and the pid file
  // for the phase trace.
  span?: Span;
}

export interface StartedProcess {
  pid: number;
  // monitorPid is conmon's own pid, when conmonPidFile was given.
  monitorPid?: number;
  // exitCode resolves when conmon reports the exit of an exec'd process over
  // the sync pipe (exec mode only; init exits are read from --exit-dir).
  exitCode?: Promise<number>;
}

interface SyncMessage {
  data: number;
  message?: string;
}

export function conmonArgs(o: ConmonOptions): string[] {
  const args = [
    "--api-version", "1",
    "-c", o.containerId,
    "-u", o.uuid,
    "-n", o.uuid,
    "-r", o.runtime,
    "--runtime-arg", `--root=${o.runtimeRoot}`,
    "-b", o.bundle,
    "-p", o.pidFile,
    "--exit-dir", o.exitDir,
    "--persist-dir", o.persistDir,
    "-l", `k8s-file:${o.logPath}`,
    "--full-attach",
    "--syslog",
  ];
  if (o.logSizeMax !== undefined) args.push("--log-size-max", String(o.logSizeMax));
  if (o.terminal) args.push("-t");
  if (o.stdin) args.push("-i");
  if (o.execProcessSpec !== undefined) args.push("--exec", "--exec-process-spec", o.execProcessSpec);
  if (o.conmonPidFile !== undefined) args.push("--conmon-pidfile", o.conmonPidFile);
  return args;
}

// startConmon starts a monitor and resolves once the runtime has created the
// process (init: created, not yet started; exec: running).
export async function startConmon(o: ConmonOptions): Promise<StartedProcess> {
  const span = o.span ?? NO_SPAN;
  const started = await spawnConmon(o, span);
  span.step(o.execProcessSpec === undefined ? "runtime create" : "runtime exec");
  if (o.conmonPidFile !== undefined) {
    started.monitorPid = await readPidFile(o.conmonPidFile);
    span.step("monitor pid file");
  }
  return started;
}

// readPidFile reads a pid file; conmon writes its own before it runs the
// runtime, so it is there once the runtime has answered.
// It is read synchronously: a file of a few bytes conmon has just written
// is in the page cache, and a read through libuv's thread pool would wait
// behind every other file operation of the daemon.
export async function readPidFile(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(readFileSync(path, "utf8"), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

function spawnConmon(o: ConmonOptions, span: Span): Promise<StartedProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(o.binary, conmonArgs(o), {
      stdio: ["ignore", "ignore", "pipe", "pipe"],
      env: { ...process.env, _OCI_SYNCPIPE: "3" },
      detached: true,
      // conmon drops an "oom" file in its working directory on an OOM kill:
      // keep it in the process's own folder, never the daemon's cwd.
      cwd: o.bundle,
    });
    // spawn returns once the child has exec'd conmon (libuv waits for the
    // exec): this is the cost of fork and exec from this process.
    span.step("conmon spawn");
    const sync = child.stdio[3] as Readable;
    let stderr = "";
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      if (stderr.length < 8192) stderr += d;
    });
    const lines = readLines(sync);
    let settled = false;
    const fail = (err: BerthError) => {
      if (settled) return;
      settled = true;
      sync.destroy();
      reject(err);
    };
    child.on("error", (err: NodeJS.ErrnoException) => {
      fail(err.code === "ENOENT" ? missingBinary("conmon", "conmon") : new BerthError("internal", `conmon: ${err.message}`));
    });
    // The first parent exits as soon as it has forked; nothing to wait for.
    child.unref();
    lines.next().then(
      (first) => {
        if (settled) return;
        const msg = first.done ? undefined : first.value;
        if (msg === undefined) {
          const why = stderr.replace(/\[conmon:d\][^\n]*\n?/g, "").trim();
          return fail(new BerthError("internal", `conmon exited before the runtime created the process${why ? `: ${why}` : " (see syslog for conmon's reason)"}`));
        }
        if (msg.data < 0) {
          return fail(runtimeError(o.execProcessSpec ? `runc exec ${o.containerId}` : `runc create ${o.containerId}`, msg.message ?? "", undefined));
        }
        settled = true;
        if (o.execProcessSpec === undefined) {
          // Create mode writes nothing more to the pipe.
          sync.destroy();
          resolve({ pid: msg.data });
          return;
        }
        const exitCode = lines.next().then((second) => {
          sync.destroy();
          if (second.done) throw new BerthError("unavailable", `the monitor of exec ${o.uuid} ended without reporting an exit code`);
          return second.value.data;
        });
        // A caller that reads the exit from the exit file instead must not
        // see an unhandled rejection here.
        exitCode.catch(() => {});
        resolve({ pid: msg.data, exitCode });
      },
      (err: unknown) => fail(BerthError.from(err)),
    );
  });
}

// readLines yields the JSON objects conmon writes, one per line.
async function* readLines(stream: Readable): AsyncGenerator<SyncMessage> {
  let buf = "";
  for await (const chunk of stream) {
    buf += (chunk as Buffer).toString("utf8");
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line !== "") yield JSON.parse(line) as SyncMessage;
    }
  }
  if (buf.trim() !== "") yield JSON.parse(buf) as SyncMessage;
}

export async function conmonVersion(binary: string): Promise<string> {
  const result = await quickSpawn(binary, ["--version"]);
  if (result.exitCode !== 0) throw missingBinary("conmon", "conmon");
  return /conmon version (\S+)/.exec(result.stdout)?.[1] ?? "";
}
