// updateOptions changes the settings of a running daemon (libcontainerd's
// UpdateOptions): it checks every setting given before it changes any, so a
// call with one bad value changes nothing, and returns those now in force.
import type { DaemonOptions, UpdatableOptions } from "../api/daemon-options.js";
import { failedPrecondition } from "../errors/berth-error.js";
import { checkLogSizeMax } from "../spec/daemon-options.js";
import { parseLogLevel } from "../log/log-level.js";
import type { Engine } from "./engine.js";

export function updateOptions(engine: Engine, options: UpdatableOptions): DaemonOptions {
  const max = options.logSizeMax === undefined ? undefined : checkLogSizeMax(options.logSizeMax);
  const level = options.logLevel === undefined ? undefined : parseLogLevel(options.logLevel);
  const { logger } = engine.options;
  if (level !== undefined && logger === undefined) throw failedPrecondition("this daemon was started without a logger, so it has no log level to change");
  if (max !== undefined) engine.setLogSizeMax(max);
  if (level !== undefined) logger!.level = level;
  return currentOptions(engine);
}

export function currentOptions(engine: Engine): DaemonOptions {
  return { logLevel: engine.options.logger?.level ?? "silent", logSizeMax: engine.options.logSizeMax ?? 0 };
}
