// The test rig without a daemon: the Create request a builder makes, the
// mistakes it refuses before calling anything, and the rule that says a
// run's runner is gone.
import { hostname } from "node:os";

import { describe, expect, it } from "vitest";

import { BerthError } from "../../src/errors/berth-error.js";
import { PullPolicy } from "../../src/gen/berth/v1/types_pb.js";
import { ContainerBuilder } from "../../src/rig/container-builder.js";
import { RigRun } from "../../src/rig/rig-run.js";
import { RUN_LABEL, runLabels, runnerIsGone, startTimeOf, thisRunner } from "../../src/rig/run-labels.js";
import { Wait } from "../../src/rig/wait/wait.js";

const refused = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(BerthError);
    expect((err as BerthError).code).toBe("invalid_argument");
    return (err as BerthError).message;
  }
  throw new Error("expected a refusal");
};

describe("ContainerBuilder's request", () => {
  it("puts the entrypoint before the command, publishes each port on 127.0.0.1 with host port 0, adds the run's labels and creates without starting", () => {
    const run = new RigRun("unit-run");
    const options = new ContainerBuilder()
      .withEntrypoint(["sh", "-c"])
      .withCommand(["echo hi"])
      .withEnv({ A: "1" })
      .withEnv({ B: "2", A: "3" })
      .withLabels({ app: "web" })
      .withExposedPorts(80, { port: 53, protocol: "udp" })
      .withNetwork("net1")
      .withResources({ memoryLimitBytes: 64n << 20n, cpus: 0.5 })
      .withUser("nobody:nogroup")
      .withWorkingDir("/srv")
      .withRootfs({ path: "/var/roots/alpine" })
      .createOptions(run);
    expect(options).toEqual({
      process: { args: ["sh", "-c", "echo hi"], env: ["A=3", "B=2"], cwd: "/srv" },
      labels: { app: "web", ...run.labels },
      ports: [
        { hostIp: "127.0.0.1", hostPort: 0, containerPort: 80, protocol: "tcp" },
        { hostIp: "127.0.0.1", hostPort: 0, containerPort: 53, protocol: "udp" },
      ],
      network: "net1",
      resources: { memoryLimitBytes: 64n << 20n, cpus: 0.5 },
      security: { user: "nobody:nogroup" },
      rootfs: { source: { case: "path", value: "/var/roots/alpine" }, readOnly: false },
      start: false,
    });
  });

  it("passes an image by reference with its pull policy, and refuses an image with withRootfs", () => {
    const run = new RigRun("unit-run-image");
    const options = new ContainerBuilder("berth.local/busybox:latest").withPullPolicy("never").createOptions(run);
    expect(options.image).toBe("berth.local/busybox:latest");
    expect(options.pullPolicy).toBe(PullPolicy.NEVER);
    expect(options.rootfs).toBeUndefined();
    expect(new ContainerBuilder().createOptions(run).image).toBeUndefined();
    expect(refused(() => new ContainerBuilder("busybox").withRootfs({ path: "/r" }).createOptions(run))).toBe('give either an image ("busybox") or withRootfs, not both');
    expect(refused(() => new ContainerBuilder(""))).toContain("image is empty");
  });

  it("keeps the run's labels over the caller's of the same name", () => {
    const run = new RigRun("unit-run-2");
    expect(new ContainerBuilder().withLabels({ [RUN_LABEL]: "forged" }).createOptions(run).labels![RUN_LABEL]).toBe("unit-run-2");
  });

  it("refuses a port out of range, a protocol it does not know, a count of log lines below 1, an empty probe and a negative timeout", () => {
    expect(refused(() => new ContainerBuilder().withExposedPorts(0))).toBe("exposed port 0: give a port from 1 to 65535");
    expect(refused(() => new ContainerBuilder().withExposedPorts({ port: 80, protocol: "sctp" as "tcp" }))).toBe('exposed port 80/sctp: the protocol is "tcp" or "udp"');
    expect(refused(() => Wait.forLogMessage("x", 0))).toBe("forLogMessage times 0: give a whole number, 1 or more");
    expect(refused(() => Wait.forExec([]))).toBe("forExec needs a command: give its program and arguments");
    expect(refused(() => Wait.forExit().withStartupTimeout(-1))).toContain("start-up timeout -1 ms");
    expect(refused(() => new ContainerBuilder().withStartupTimeout(Number.NaN))).toContain("start-up timeout NaN ms");
  });
});

describe("runnerIsGone", () => {
  const me = thisRunner();

  it("reads this process's start time from /proc, as a number of clock ticks", () => {
    expect(me.started).toMatch(/^\d+$/);
    expect(startTimeOf(process.pid)).toBe(me.started);
    expect(me.host).toBe(hostname());
  });

  it("judges only containers of this host's runners, with every runner label", () => {
    expect(runnerIsGone({}, me)).toBe(false);
    expect(runnerIsGone(runLabels("r", { ...me, host: "elsewhere", started: "1" }), me)).toBe(false);
    expect(runnerIsGone({ ...runLabels("r", me), "berth.rig.runner.pid": "" }, me)).toBe(false);
    expect(runnerIsGone({ ...runLabels("r", me), "berth.rig.runner.started": "" }, me)).toBe(false);
  });

  it("a live runner is not gone; a pid with another start time, a free pid and another boot are", () => {
    expect(runnerIsGone(runLabels("r", me), me)).toBe(false);
    expect(runnerIsGone(runLabels("r", { ...me, started: String(Number(me.started) + 1) }), me)).toBe(true);
    // Past pid_max (at most 2^22): no process has it.
    expect(runnerIsGone(runLabels("r", { ...me, pid: 2 ** 22 + 1 }), me)).toBe(true);
    expect(runnerIsGone(runLabels("r", { ...me, boot: "another-boot" }), me)).toBe(true);
  });
});
