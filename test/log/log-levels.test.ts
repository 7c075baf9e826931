// Whose fault decides the level: a line about the daemon's own failure is
// error, a caller's mistake warn, a call the caller ended (or that
// succeeded) debug; the same for the per-RPC line (RpcLog, gRPC's names)
// and for errors no caller can be told of (logError, BerthError's codes).
import { describe, expect, it } from "vitest";

import { BerthError, type ErrorCode } from "../../src/errors/berth-error.js";
import { createLogger } from "../../src/log/create-logger.js";
import type { LogLevel } from "../../src/log/log-level.js";
import { logError } from "../../src/log/error-fields.js";
import { RpcLog } from "../../src/log/rpc-log.js";

function capture(level: LogLevel): { logger: ReturnType<typeof createLogger>; lines: Array<{ level: number; msg: string; rpc?: { code: string } }> } {
  const lines: Array<{ level: number; msg: string; rpc?: { code: string } }> = [];
  const destination = {
    write(chunk: string) {
      for (const line of chunk.split("\n").filter((l) => l !== "")) lines.push(JSON.parse(line));
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  return { logger: createLogger({ level, destination }), lines };
}

const DEBUG = 20;
const WARN = 40;
const ERROR = 50;

describe("RpcLog", () => {
  const cases: Array<[string, number, string]> = [
    ["OK", DEBUG, "rpc"],
    ["CANCELLED", DEBUG, "rpc"],
    ["INVALID_ARGUMENT", WARN, "rpc refused"],
    ["NOT_FOUND", WARN, "rpc refused"],
    ["ALREADY_EXISTS", WARN, "rpc refused"],
    ["FAILED_PRECONDITION", WARN, "rpc refused"],
    ["PERMISSION_DENIED", WARN, "rpc refused"],
    ["UNAUTHENTICATED", WARN, "rpc refused"],
    ["ABORTED", WARN, "rpc refused"],
    ["OUT_OF_RANGE", WARN, "rpc refused"],
    ["RESOURCE_EXHAUSTED", WARN, "rpc refused"],
    ["DEADLINE_EXCEEDED", WARN, "rpc refused"],
    ["UNIMPLEMENTED", WARN, "rpc refused"],
    ["INTERNAL", ERROR, "rpc failed"],
    ["UNKNOWN", ERROR, "rpc failed"],
    ["DATA_LOSS", ERROR, "rpc failed"],
    ["UNAVAILABLE", ERROR, "rpc failed"],
  ];

  it.each(cases)("writes %s at level %i as %j", (code, level, msg) => {
    const { logger, lines } = capture("trace");
    new RpcLog(logger).observe("berth.v1.ContainerService", "State", code, 0.001);
    expect(lines).toEqual([expect.objectContaining({ level, msg, rpc: expect.objectContaining({ code }) })]);
  });

  it("at level error, writes only the daemon's own faults", () => {
    const { logger, lines } = capture("error");
    const log = new RpcLog(logger);
    for (const [code] of cases) log.observe("berth.v1.ContainerService", "State", code, 0.001);
    expect(lines.map((l) => l.rpc?.code)).toEqual(["INTERNAL", "UNKNOWN", "DATA_LOSS", "UNAVAILABLE"]);
  });

  // berth demo's own daemon ended its Subscribe so, and wrote an error line.
  it("once the server drains, the UNAVAILABLE that ends an open call is info, not an error", () => {
    const { logger, lines } = capture("trace");
    const log = new RpcLog(logger);
    log.drain();
    log.observe("berth.v1.EventService", "Subscribe", "UNAVAILABLE", 1.5);
    log.observe("berth.v1.ContainerService", "Create", "INTERNAL", 0.1);
    expect(lines).toEqual([
      expect.objectContaining({ level: 30, msg: "rpc ended: the daemon is stopping", rpc: expect.objectContaining({ code: "UNAVAILABLE" }) }),
      expect.objectContaining({ level: ERROR, msg: "rpc failed", rpc: expect.objectContaining({ code: "INTERNAL" }) }),
    ]);
  });
});

describe("logError", () => {
  const cases: Array<[ErrorCode, number]> = [
    ["invalid_argument", WARN],
    ["not_found", WARN],
    ["already_exists", WARN],
    ["failed_precondition", WARN],
    ["canceled", WARN],
    ["deadline_exceeded", WARN],
    ["resource_exhausted", WARN],
    ["internal", ERROR],
    ["data_loss", ERROR],
    ["unavailable", ERROR],
  ];

  it.each(cases)("writes a BerthError %s at level %i, its message as the line's", (code, level) => {
    const { logger, lines } = capture("info");
    logError(logger, new BerthError(code, `container c: it went wrong (${code})`));
    expect(lines).toEqual([expect.objectContaining({ level, msg: `container c: it went wrong (${code})`, err: { code } })]);
  });

  it("writes an error that is no BerthError (a bug) at error, with its stack", () => {
    const { logger, lines } = capture("info");
    logError(logger, new TypeError("x is undefined"));
    expect(lines).toEqual([expect.objectContaining({ level: ERROR, msg: "x is undefined", err: { stack: expect.stringMatching(/^TypeError: x is undefined/) } })]);
  });
});
