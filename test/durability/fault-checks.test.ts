// The fault test's checks (fault-checks.ts) on made-up stories: what they
// pass, and each defect they must catch, so that a chaos run that passes
// means what it says. No daemon runs here.
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";

import { ContainerSchema, EventSchema, EventType, ProcessInfoSchema, Status, type Event } from "../../src/client/types.js";
import { disagreement, runProblems } from "./fault-checks.js";
import { plans, type Control, type Plan } from "./fault-plan.js";

const ID = "c";

// story turns "type[:process][=code]" words into events of container c,
// revisions counting up from 1 (a delete carries none, as restore's).
function story(...words: string[]): Event[] {
  let revision = 0n;
  return words.map((w, i) => {
    const [head, code] = w.split("=");
    const [type, processId] = head!.split(":");
    const t = EventType[type!.toUpperCase().replace("-", "_") as keyof typeof EventType];
    return create(EventSchema, {
      sequence: BigInt(i + 1),
      containerId: ID,
      processId: processId ?? "init",
      type: t,
      exitCode: Number(code ?? 0),
      revision: t === EventType.DELETE ? 0n : ++revision,
    });
  });
}

// plan is the plan of container i (see plans), with the controls given.
function plan(i: number, controls: Array<Partial<Control> & Pick<Control, "op" | "revision">> = [], deletedAt?: bigint): Plan {
  const p = plans(() => ID)[i]!;
  p.created = "ok";
  p.controls = controls.map((c) => ({ outcome: "ok", ...c }));
  for (const e of p.execs) [e.tried, e.added] = [true, "ok"];
  p.deletedAt = deletedAt;
  return p;
}

// f0 exits by itself with 10; f5 runs on (ignores TERM), with processes
// short0 (exits 35) and long1; f3 traps TERM with 43; f4 (exits, 14) is
// created with start: false.
describe("runProblems", () => {
  it("passes runs a plan explains", () => {
    expect(runProblems(plan(0), story("create", "start-container", "exit=10", "delete=10"))).toEqual([]);
    const stopStart = plan(5, [{ op: "stop", revision: 4n }, { op: "start", revision: 7n }], 8n);
    const events = story("create", "start-container", "start-process:short0", "start-process:long1", "exit-process:long1=137", "exit-process:short0=35", "exit=137", "start-container", "restore", "exit=137", "delete=137");
    expect(runProblems(stopStart, events)).toEqual([]);
    const trapped = plan(3, [{ op: "restart", revision: 2n }], 4n);
    trapped.execs = [];
    expect(runProblems(trapped, story("create", "start-container", "exit=43", "restart", "exit=137", "delete=137"))).toEqual([]);
    expect(runProblems(plan(4, [{ op: "start", revision: 1n }]), story("create", "start-container", "exit=14", "delete=14"))).toEqual([]);
    expect(runProblems(plan(4), story("create", "delete"))).toEqual([]);
  });

  it.each([
    ["a doubled exit", plan(0), story("create", "start-container", "exit=10", "exit=10", "delete=10")],
    ["an exit without a start", plan(4), story("create", "exit=14", "delete=14")],
    ["a start nobody asked for", plan(4), story("create", "start-container", "exit=14", "delete=14")],
    ["a second start of one Start", plan(0, [{ op: "start", revision: 3n }]), story("create", "start-container", "exit=10", "start-container", "exit=10", "start-container", "exit=10", "delete=10")],
    ["a 137 with no kill asked", plan(0), story("create", "start-container", "exit=137", "delete=137")],
    ["a 137 killed in another run", plan(0, [{ op: "stop", revision: 2n }, { op: "start", revision: 4n }]), story("create", "start-container", "exit=10", "start-container", "exit=137", "delete=137")],
    ["a monitor's 255", plan(5, [{ op: "stop", revision: 2n }]), story("create", "start-container", "exit=255", "delete=255")],
    ["an init exit before its process's", plan(5, [{ op: "stop", revision: 3n }]), story("create", "start-container", "start-process:long1", "exit=137", "exit-process:long1=137", "delete=137")],
    ["a process running on that exits by itself", plan(5, [], 4n), story("create", "start-container", "start-process:long1", "exit-process:long1=0", "exit=137", "delete=137")],
    ["a process never asked for", plan(5, [], 3n), story("create", "start-container", "start-process:other", "exit-process:other=137", "exit=137", "delete=137")],
    ["a restore of a stopped run", plan(0), story("create", "start-container", "exit=10", "restore", "delete=10")],
    ["a delete with another exit", plan(0), story("create", "start-container", "exit=10", "delete=0")],
    ["a delete of a running container", plan(5), story("create", "start-container", "delete=0")],
    ["a lost revision", plan(0), story("create", "start-container", "exit=10", "delete=10").filter((e) => e.revision !== 2n)],
    ["no delete", plan(0), story("create", "start-container", "exit=10")],
  ])("catches %s", (_, p, events) => {
    expect(runProblems(p, events)).not.toEqual([]);
  });
});

describe("disagreement", () => {
  const events = story("create", "start-container", "start-process:short0", "exit-process:short0=35", "exit=137", "start-container");
  const at = (revision: bigint, status: Status, exitCode?: number, processes: Array<[string, Status, number?]> = []) =>
    create(ContainerSchema, {
      id: ID,
      revision,
      status,
      exitCode,
      processes: [["init", status] as [string, Status], ...processes].map(([id, s, code]) => create(ProcessInfoSchema, { id, status: s, exitCode: code })),
    });

  it("passes states their events explain", () => {
    expect(disagreement(at(1n, Status.CREATED), events)).toBeUndefined();
    expect(disagreement(at(3n, Status.RUNNING, undefined, [["short0", Status.RUNNING]]), events)).toBeUndefined();
    expect(disagreement(at(5n, Status.STOPPED, 137, [["short0", Status.STOPPED, 35]]), events)).toBeUndefined();
    expect(disagreement(at(6n, Status.RUNNING), events)).toBeUndefined();
  });

  it.each([
    ["running with no start", at(1n, Status.RUNNING)],
    ["stopped with no exit", at(2n, Status.STOPPED, 137)],
    ["stopped with another code", at(5n, Status.STOPPED, 0)],
    ["created after a run", at(5n, Status.CREATED)],
    ["a process stopped with another code", at(4n, Status.RUNNING, undefined, [["short0", Status.STOPPED, 137]])],
    ["a revision no event has", at(7n, Status.RUNNING)],
  ])("catches %s", (_, c) => {
    expect(disagreement(c, events)).toBeDefined();
  });
});
