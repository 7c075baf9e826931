// The flags run and create share, and those stop and restart share, parsed
// as main.ts parses them.
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";

import type { Command, CommandContext } from "../../src/cli/command.js";
import { createCommand } from "../../src/cli/commands/create-command.js";
import { restartCommand } from "../../src/cli/commands/restart-command.js";
import { runCommand } from "../../src/cli/commands/run-command.js";
import { stopCommand } from "../../src/cli/commands/stop-command.js";
import { createOptionsOf } from "../../src/cli/create-flags.js";
import { parseArgv } from "../../src/cli/parse-argv.js";
import { RESOURCE_FLAGS } from "../../src/cli/resource-flags.js";
import { stopOptionsOf } from "../../src/cli/stop-flags.js";
import { UsageError } from "../../src/cli/usage-error.js";
import { RestartPolicy_Kind } from "../../src/client/types.js";
import { UsernsMode } from "../../src/gen/berth/v1/security_pb.js";

function contextOf(command: Command, argv: string[]): CommandContext {
  const parsed = parseArgv(argv, command.options, { where: `berth ${command.name}`, ...(command.takesCommand && { stopAfter: 1 }) });
  return {
    globals: { socket: "", namespace: "", stateDir: "" },
    env: {},
    values: parsed.values,
    positionals: parsed.positionals,
    command: parsed.rest ?? [],
    stdout: new PassThrough(),
    stderr: new PassThrough(),
  };
}

const createOptions = (command: Command, ...argv: string[]) => createOptionsOf(contextOf(command, argv), command.name);

function usageError(make: () => unknown): string {
  try {
    make();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error("expected a usage error");
}

describe("run and create flags", () => {
  it("gives create every flag of run but -d and --rm", () => {
    const names = (c: Command) => c.options.map((o) => o.name);
    expect(names(runCommand).filter((n) => n !== "detach" && n !== "rm")).toEqual(names(createCommand));
    for (const flag of RESOURCE_FLAGS) expect(names(createCommand)).toContain(flag.name);
  });

  it("turns -v, --stop-signal, --restart and the resource flags into CreateOptions", () => {
    const options = createOptions(
      createCommand,
      "-v", "/srv/a:/a:ro",
      "--volume=/srv/b:/b",
      "--stop-signal", "INT",
      "--restart", "on-failure:3",
      "--memory", "64m",
      "--memory-reservation", "32m",
      "--cpus", "0.5",
      "--blkio-weight", "300",
      "box", "--", "sleep", "1",
    );
    expect(options).toEqual({
      process: { args: ["sleep", "1"], env: [] },
      labels: {},
      mounts: [
        { source: "/srv/a", destination: "/a", readOnly: true },
        { source: "/srv/b", destination: "/b", readOnly: false },
      ],
      stopSignal: "INT",
      restartPolicy: { kind: RestartPolicy_Kind.ON_FAILURE, maxRetries: 3 },
      resources: { memoryLimitBytes: 64n << 20n, memoryReservationBytes: 32n << 20n, cpus: 0.5, blkioWeight: 300 },
    });
  });

  it("leaves out what was not given, so the daemon's defaults apply", () => {
    expect(createOptions(runCommand, "box", "true")).toEqual({ process: { args: ["true"], env: [] }, labels: {} });
  });

  it("refuses a bad volume, an empty stop signal and a missing command before calling the daemon", () => {
    expect(usageError(() => createOptions(runCommand, "-v", "data:/data", "box", "true"))).toMatch(/^--volume "data:\/data": berth has no named volumes/);
    expect(usageError(() => createOptions(createCommand, "--stop-signal=", "box", "true"))).toBe("--stop-signal needs a signal (TERM, 15)");
    expect(usageError(() => createOptions(createCommand, "box"))).toBe("create needs a command (or --image): berth create ID -- CMD [ARG...]");
    // An image brings its own command; --pull needs one.
    expect(createOptions(createCommand, "--image", "busybox:1.36", "--pull", "never", "box")).toMatchObject({ image: "busybox:1.36", pullPolicy: 3, process: { args: [] } });
    expect(usageError(() => createOptions(createCommand, "--pull", "always", "box", "true"))).toBe("--pull needs --image");
    expect(usageError(() => createOptions(createCommand, "--image", "a", "--image-archive", "/x.tar", "box"))).toBe("give one of --rootfs, --image and --image-archive");
    expect(usageError(() => createOptions(createCommand, "--restart", "sometimes", "box", "true"))).toMatch(/^--restart "sometimes"/);
  });
});

describe("stop and restart flags", () => {
  const stopOptions = (command: Command, ...argv: string[]) => stopOptionsOf(contextOf(command, argv));

  it("reads -t as whole seconds and -s as a signal, for stop and restart alike", () => {
    expect(stopOptions(stopCommand, "-t", "3", "-s", "KILL", "box")).toEqual({ timeoutSeconds: 3, signal: "KILL" });
    expect(stopOptions(restartCommand, "--time=0", "--signal=15", "box")).toEqual({ timeoutSeconds: 0, signal: "15" });
    expect(stopOptions(stopCommand, "box")).toEqual({});
  });

  it("refuses a timeout that is no whole number, and an empty signal", () => {
    expect(usageError(() => stopOptions(stopCommand, "-t", "1.5", "box"))).toBe('--time "1.5" must be a whole number');
    expect(usageError(() => stopOptions(stopCommand, "-t", "-1", "box"))).toBe('--time "-1" must be a whole number');
    expect(usageError(() => stopOptions(restartCommand, "-s", "", "box"))).toBe("--signal needs a signal (TERM, 15)");
  });
});

describe("privilege flags", () => {
  it("turns --cap-add, --cap-drop, --privileged, --device, --tmpfs, --user and --security-opt into SecurityOptions", () => {
    const options = createOptions(
      runCommand,
      ...["--cap-add", "NET_ADMIN", "--cap-add", "sys_time", "--cap-drop", "ALL", "-u", "www:www", "--privileged"],
      ...["--device", "/dev/fuse", "--device", "/dev/sdb:r", "--device", "/dev/sdc:/dev/xvdc", "--device", "/dev/sdd:/dev/xvdd:rw"],
      ...["--tmpfs", "/run", "--tmpfs", "/scratch:size=64m,mode=1777", "--security-opt", "seccomp=unconfined", "c", "--", "sh"],
    );
    expect(options.security).toEqual({
      capAdd: ["NET_ADMIN", "sys_time"],
      capDrop: ["ALL"],
      user: "www:www",
      privileged: true,
      devices: [
        { hostPath: "/dev/fuse" },
        { hostPath: "/dev/sdb", permissions: "r" },
        { hostPath: "/dev/sdc", containerPath: "/dev/xvdc" },
        { hostPath: "/dev/sdd", containerPath: "/dev/xvdd", permissions: "rw" },
      ],
      tmpfs: [{ destination: "/run" }, { destination: "/scratch", options: ["size=64m", "mode=1777"] }],
      seccomp: { unconfined: true },
    });
    expect(createOptions(runCommand, "c", "--", "sh").security).toBeUndefined();
  });

  it("refuses a malformed --device, --tmpfs, --user or --security-opt, and a profile file it cannot read", () => {
    expect(usageError(() => createOptions(runCommand, "--device", "/dev/a:/dev/b:rw:x", "c", "--", "sh"))).toMatch(/HOST\[:CONTAINER\]\[:PERMISSIONS\]/);
    expect(usageError(() => createOptions(runCommand, "--device", "", "c", "--", "sh"))).toMatch(/--device/);
    expect(usageError(() => createOptions(runCommand, "--tmpfs", ":size=1m", "c", "--", "sh"))).toMatch(/PATH\[:OPTIONS\]/);
    expect(usageError(() => createOptions(runCommand, "--user", "", "c", "--", "sh"))).toMatch(/--user needs a user/);
    expect(usageError(() => createOptions(runCommand, "--security-opt", "apparmor=x", "c", "--", "sh"))).toMatch(/seccomp=unconfined or seccomp=FILE/);
    expect(usageError(() => createOptions(runCommand, "--security-opt", "seccomp=/nonexistent/p.json", "c", "--", "sh"))).toMatch(/ENOENT/);
  });

  it("turns --userns host|auto[:size=N] and --uidmap/--gidmap into SecurityOptions.userns", () => {
    expect(createOptions(createCommand, "--userns", "auto", "c", "--", "sh").security).toEqual({ userns: { mode: UsernsMode.AUTO } });
    expect(createOptions(runCommand, "--userns", "auto:size=1000", "c", "--", "sh").security).toEqual({ userns: { mode: UsernsMode.AUTO, size: 1000 } });
    expect(createOptions(runCommand, "--userns", "host", "c", "--", "sh").security).toEqual({ userns: { mode: UsernsMode.HOST } });
    expect(createOptions(runCommand, "--uidmap", "0:2000000000:65536", "--gidmap", "0:2000000000:65536", "--gidmap", "65536:5:1", "c", "--", "sh").security).toEqual({
      userns: {
        mode: UsernsMode.MAPPINGS,
        uidMappings: [{ containerId: 0, hostId: 2000000000, size: 65536 }],
        gidMappings: [
          { containerId: 0, hostId: 2000000000, size: 65536 },
          { containerId: 65536, hostId: 5, size: 1 },
        ],
      },
    });
  });

  it("refuses a --userns other than host, auto or auto:size=N, a malformed --uidmap, and --uidmap with --userns", () => {
    expect(usageError(() => createOptions(runCommand, "--userns", "keep-id", "c", "--", "sh"))).toMatch(/host, auto or auto:size=N/);
    expect(usageError(() => createOptions(runCommand, "--userns", "auto:size=", "c", "--", "sh"))).toMatch(/host, auto or auto:size=N/);
    expect(usageError(() => createOptions(runCommand, "--uidmap", "0:1", "c", "--", "sh"))).toMatch(/CONTAINER:HOST:SIZE/);
    expect(usageError(() => createOptions(runCommand, "--userns", "auto", "--uidmap", "0:1:1", "c", "--", "sh"))).toMatch(/leave out --userns/);
  });
});
