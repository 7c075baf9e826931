// What the CLI prints about a container's state and a process's end, without
// a daemon: ps's status column, the notes after an exit code, --restart, and
// an event line.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";

import { ContainerSchema, ExitStatusSchema, RestartPolicy_Kind, Status } from "../../src/client/types.js";
import { exitNotes } from "../../src/cli/exit-notes.js";
import { formatStateChange } from "../../src/cli/format-state-change.js";
import { parseRestartPolicy } from "../../src/cli/parse-restart-policy.js";
import { containerStatusText, statusText } from "../../src/cli/status-text.js";
import { UsageError } from "../../src/cli/usage-error.js";

describe("CLI status text", () => {
  it("names each status, a stopped one with its exit", () => {
    expect(statusText(Status.RUNNING)).toBe("running");
    expect(statusText(Status.PAUSED)).toBe("paused");
    expect(statusText(Status.STOPPED, 137, true)).toBe("exited (137, oom)");
  });

  it("shows a container waiting out a restart's back-off as restarting, with its last exit and when the next run is due", () => {
    const now = new Date("2026-01-01T00:00:00Z");
    const restarting = (inMs: number | undefined) =>
      containerStatusText(
        create(ContainerSchema, {
          status: Status.RESTARTING,
          exitCode: 3,
          nextRestartAt: inMs === undefined ? undefined : timestampFromDate(new Date(now.getTime() + inMs)),
        }),
        now,
      );
    expect(restarting(1600)).toBe("restarting (3, in 2s)");
    expect(restarting(-5)).toBe("restarting (3, now)");
    expect(restarting(undefined)).toBe("restarting (3)");
    expect(containerStatusText(create(ContainerSchema, { status: Status.STOPPED, exitCode: 0 }))).toBe("exited (0)");
  });

  it("notes an OOM kill and an exit code that is not the process's own", () => {
    expect(exitNotes("container web", create(ExitStatusSchema, { exitCode: 0 }))).toEqual([]);
    expect(exitNotes("container web", create(ExitStatusSchema, { exitCode: 137, oomKilled: true }))).toEqual(["berth: container web was killed: out of memory"]);
    expect(exitNotes("process e1 of web", create(ExitStatusSchema, { exitCode: 255, monitorDied: true }))).toEqual([
      "berth: process e1 of web ended, but its monitor (conmon) died before recording how: exit code 255 is not its own",
    ]);
  });

  it("reads --restart as Docker spells it", () => {
    expect(parseRestartPolicy("always")).toEqual({ kind: RestartPolicy_Kind.ALWAYS, maxRetries: 0 });
    expect(parseRestartPolicy("unless-stopped")).toEqual({ kind: RestartPolicy_Kind.UNLESS_STOPPED, maxRetries: 0 });
    expect(parseRestartPolicy("on-failure:3")).toEqual({ kind: RestartPolicy_Kind.ON_FAILURE, maxRetries: 3 });
    for (const bad of ["sometimes", "always:2", "on-failure:x", "on-failure:1:2", ""]) expect(() => parseRestartPolicy(bad)).toThrow(UsageError);
  });

  it("prints the delete event's exit code, and flags an exit the monitor could not record", () => {
    const base = { processId: "init", pid: 0, oomKilled: false, sequence: 9n, timestamp: new Date(0), namespace: "default" };
    expect(formatStateChange("web", { ...base, state: "delete", exitCode: 137, monitorDied: false })).toMatch(/ delete +web init pid=- exit=137$/);
    expect(formatStateChange("web", { ...base, state: "exit", pid: 42, exitCode: 255, monitorDied: true })).toMatch(/ exit +web init pid=42 exit=255 monitor-died$/);
    expect(formatStateChange("web", { ...base, state: "pause", exitCode: 0, monitorDied: false })).toMatch(/ exit=-$/);
  });

  it("prints a hook-failed event's stage and message on its one line", () => {
    const base = { processId: "init", pid: 0, oomKilled: false, sequence: 9n, timestamp: new Date(0), namespace: "default", exitCode: 0, monitorDied: false };
    const line = formatStateChange("web", { ...base, state: "hook-failed", hookStage: "poststop", hookMessage: 'poststop hook #0 "/x" exited with code 3; stderr: a\nb' });
    expect(line).toMatch(/ hook-failed +web init pid=- exit=- stage=poststop message="poststop hook #0 \\"\/x\\" exited with code 3; stderr: a\\nb"$/);
    expect(line).not.toContain("\n");
  });
});
