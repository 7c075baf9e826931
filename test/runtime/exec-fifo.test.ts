// Starting a created container through runc's exec.fifo, the way `runc
// start` does, against a stand-in for runc init (a shell that opens the
// fifo for writing, as runc init does after create): what counts as
// started, and when the caller must fall back to the runtime's own start.
// The real protocol with real runc is covered by every Create and Start in
// test/contract.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { isBerthError } from "../../src/errors/berth-error.js";
import { startThroughExecFifo } from "../../src/runtime/exec-fifo.js";

let root: string;
let n = 0;
const children: ChildProcess[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "berth-exec-fifo-"));
});
afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

// stateDir makes a runc-like state folder holding an exec.fifo.
function stateDir(): string {
  const dir = join(root, `c${++n}`);
  execFileSync("mkdir", ["-p", dir]);
  execFileSync("mkfifo", [join(dir, "exec.fifo")]);
  return dir;
}

// initLike opens the fifo for writing (blocking until a reader comes, as
// runc init does), then runs script with the fifo on fd 3.
function initLike(dir: string, script: string): ChildProcess {
  const child = spawn("sh", ["-c", `exec 3>"$0"; ${script}`, join(dir, "exec.fifo")], { stdio: "ignore" });
  children.push(child);
  return child;
}

const alive = (child: ChildProcess) => async () => child.exitCode === null && child.signalCode === null;

describe("startThroughExecFifo", () => {
  it("reads the byte runc init writes, waits for the fifo to close (the exec), and removes the fifo", async () => {
    const dir = stateDir();
    const init = initLike(dir, "printf 0 >&3; sleep 0.3; exec 3>&-; sleep 5");
    const before = performance.now();
    expect(await startThroughExecFifo(dir, alive(init))).toBe("started");
    // Not before the writer closed its end: the process has exec'd by then.
    expect(performance.now() - before).toBeGreaterThanOrEqual(250);
    expect(existsSync(join(dir, "exec.fifo"))).toBe(false);
  });

  it("leaves a folder without exec.fifo (another runtime, or not created) to the runtime's own start", async () => {
    const dir = join(root, "empty");
    execFileSync("mkdir", ["-p", dir]);
    expect(await startThroughExecFifo(dir, async () => true)).toBe("not-runc");
    expect(await startThroughExecFifo(join(root, "no-such-container"), async () => true)).toBe("not-runc");
  });

  it("gives up, leaving the fifo, once the init process is gone without having written", async () => {
    const dir = stateDir();
    expect(await startThroughExecFifo(dir, async () => false)).toBe("init-gone");
    expect(existsSync(join(dir, "exec.fifo"))).toBe(true);
  });

  it("refuses a fifo whose writer closed without writing: the container was already started", async () => {
    const dir = stateDir();
    const init = initLike(dir, "exec 3>&-; sleep 5");
    const err = await startThroughExecFifo(dir, alive(init)).catch((e: unknown) => e);
    expect(isBerthError(err, "failed_precondition")).toBe(true);
    expect(String(err)).toMatch(/already running/);
  });
});
