import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";

import type { CommandContext } from "../../src/cli/command.js";
import { parseArgv } from "../../src/cli/parse-argv.js";
import { RESOURCE_FLAGS, resourcesOf } from "../../src/cli/resource-flags.js";
import { UsageError } from "../../src/cli/usage-error.js";

// flags parses argv as `berth update` would and returns the resources.
function flags(...argv: string[]) {
  const parsed = parseArgv(argv, RESOURCE_FLAGS, { where: "berth update" });
  const ctx: CommandContext = {
    globals: { socket: "", namespace: "", stateDir: "" },
    env: {},
    values: parsed.values,
    positionals: parsed.positionals,
    command: [],
    stdout: new PassThrough(),
    stderr: new PassThrough(),
  };
  return resourcesOf(ctx);
}

function usageError(...argv: string[]): string {
  try {
    flags(...argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`expected a usage error for ${argv.join(" ")}`);
}

describe("resource flags", () => {
  it("takes Docker's names: --cpus is a number of CPUs, --cpuset-cpus a list", () => {
    expect(flags("--cpus", "1.5")).toEqual({ cpus: 1.5 });
    expect(flags("--cpuset-cpus", "0-1")).toEqual({ cpusetCpus: "0-1" });
  });

  it("reads --memory-reservation as a size and --blkio-weight as a whole number", () => {
    expect(flags("--memory", "64m", "--memory-reservation", "32m", "--blkio-weight", "300")).toEqual({
      memoryLimitBytes: 64n << 20n,
      memoryReservationBytes: 32n << 20n,
      blkioWeight: 300,
    });
  });

  it("gives none for no flags", () => {
    expect(flags()).toBeUndefined();
  });

  it("refuses what is no number before asking the daemon", () => {
    expect(usageError("--cpus", "two")).toBe('--cpus "two" must be a positive number of CPUs (1.5)');
    expect(usageError("--cpus", "")).toMatch(/^--cpus "" must be a positive number/);
    expect(usageError("--cpus", "0")).toMatch(/must be a positive number/);
    expect(usageError("--memory-reservation", "lots")).toMatch(/^--memory-reservation "lots" is not a size/);
    expect(usageError("--blkio-weight", "1.5")).toMatch(/^--blkio-weight "1\.5" must be a whole number/);
  });
});
