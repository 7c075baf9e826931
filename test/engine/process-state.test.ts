import { describe, expect, it } from "vitest";

import { BerthError } from "../../src/errors/berth-error.js";
import { Status } from "../../src/gen/berth/v1/types_pb.js";
import { ProcessState } from "../../src/engine/process-state.js";

describe("ProcessState", () => {
  it("walks the legal lifecycle created -> running <-> paused -> stopped -> deleted", () => {
    const s = new ProcessState("container");
    expect(s.toStatus()).toBe(Status.CREATED);
    s.transition("running");
    s.transition("paused");
    expect(s.toStatus()).toBe(Status.PAUSED);
    s.transition("running");
    s.transition("stopped");
    s.transition("deleted");
    expect(s.toStatus()).toBe(Status.STOPPED);
  });

  it("lets a restart policy start a stopped container again", () => {
    const s = new ProcessState("container", "stopped");
    s.transition("running");
    expect(s.name).toBe("running");
  });

  it("treats an illegal internal transition as a bug (internal error)", () => {
    const s = new ProcessState("container", "stopped");
    expect(() => s.transition("paused")).toThrowError(expect.objectContaining({ code: "internal" }));
    expect(() => new ProcessState("process", "deleted").transition("running")).toThrow(BerthError);
  });

  it("refuses a client operation in the wrong state with FAILED_PRECONDITION naming the state", () => {
    const s = new ProcessState("container", "stopped");
    expect(() => s.require("pause", "running")).toThrowError(
      expect.objectContaining({ code: "failed_precondition", message: "cannot pause a stopped container (it must be running)" }),
    );
  });

  it("names the state as its holder shows it: a stopped container waiting to restart is restarting", () => {
    const s = new ProcessState("container", "stopped");
    s.shownAs = (name) => (name === "stopped" ? "restarting" : name);
    expect(() => s.require("pause", "running")).toThrowError(expect.objectContaining({ message: "cannot pause a restarting container (it must be running)" }));
    expect(s.name).toBe("stopped");
  });

  it("tryTransition reports a raced transition instead of throwing", () => {
    const s = new ProcessState("process", "running");
    s.transition("stopped");
    expect(s.tryTransition("paused")).toBe(false);
    expect(s.name).toBe("stopped");
  });
});
