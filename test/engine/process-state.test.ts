import { describe, expect, it } from "vitest";

import { BerthError } from "../../src/errors/berth-error.js";
import { Status } from "../../src/gen/berth/v1/types_pb.js";
import { ManagedProcess } from "../../src/engine/managed-process.js";

const exit = (exitCode: number) => ({ exitCode, exitedAt: new Date(), oomKilled: false });
const proc = (kind: "container" | "process" = "container") => new ManagedProcess("init", ["sh"], false, kind);

describe("a process's state machine", () => {
  it("walks created -> running <-> paused -> stopped -> deleted, each state owning its data", () => {
    const p = proc();
    expect([p.toStatus(), p.pid, p.run]).toEqual([Status.CREATED, 0, undefined]);
    p.prepare({ pid: 42 });
    expect([p.name, p.pid]).toEqual(["created", 42]);
    p.start();
    expect(p.status).toMatchObject({ name: "running", run: { pid: 42 } });
    expect(p.startedAt).toBeInstanceOf(Date);
    expect(p.pause()).toBe(true);
    expect(p.toStatus()).toBe(Status.PAUSED);
    expect(p.resume()).toBe(true);
    expect(p.markExited(exit(3))).toBe(true);
    expect(p.status).toMatchObject({ name: "stopped", run: { pid: 42 }, exit: { exitCode: 3 } });
    expect(p.markDeleted()).toBe(true);
    expect([p.toStatus(), p.exit?.exitCode]).toEqual([Status.STOPPED, 3]);
  });

  it("starts a stopped process again as a new run, which clears the last exit", () => {
    const p = proc();
    p.prepare({ pid: 1 });
    p.start();
    p.markExited(exit(1));
    p.start({ pid: 2 });
    expect([p.name, p.pid, p.exit]).toEqual(["running", 2, undefined]);
  });

  it("treats an illegal internal transition as a bug (internal error)", () => {
    const p = proc();
    // Never made by the runtime: there is no run to start.
    expect(() => p.start()).toThrowError(expect.objectContaining({ code: "internal" }));
    p.prepare({ pid: 1 });
    p.start();
    p.markExited(exit(0));
    p.markDeleted();
    expect(() => p.start({ pid: 3 })).toThrow(BerthError);
  });

  it("refuses a client operation in the wrong state with FAILED_PRECONDITION naming the state", () => {
    const p = proc();
    p.markExited(exit(0));
    expect(() => p.require("pause", "running")).toThrowError(
      expect.objectContaining({ code: "failed_precondition", message: "cannot pause a stopped container (it must be running)" }),
    );
  });

  it("names the state as its holder shows it: a stopped container waiting to restart is restarting", () => {
    const p = proc();
    p.markExited(exit(0));
    p.shownAs = (name) => (name === "stopped" ? "restarting" : name);
    expect(() => p.require("pause", "running")).toThrowError(expect.objectContaining({ message: "cannot pause a restarting container (it must be running)" }));
    expect(p.name).toBe("stopped");
  });

  it("reports a raced transition instead of throwing, and never replaces a recorded exit", () => {
    const p = proc("process");
    p.prepare({ pid: 5 });
    p.start();
    p.markExited(exit(7));
    expect(p.pause()).toBe(false);
    expect(p.resume()).toBe(false);
    expect(p.markExited(exit(9))).toBe(false);
    expect([p.name, p.exit?.exitCode]).toEqual(["stopped", 7]);
  });
});
