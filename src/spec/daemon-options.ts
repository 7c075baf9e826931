// checkLogSizeMax is the one check of a log size cap, for Remote.updateOptions,
// the UpdateOptions RPC and GrpcClient (a fraction cannot travel as uint64).
import { invalidArgument } from "../errors/berth-error.js";

export const MIN_LOG_SIZE_MAX = 4096;

export function checkLogSizeMax(max: number | bigint): number {
  const n = Number(max);
  if (!Number.isSafeInteger(n) || n < MIN_LOG_SIZE_MAX || (typeof max === "bigint" && BigInt(n) !== max)) {
    throw invalidArgument(`logSizeMax ${max} is not a usable log size: give a whole number of bytes, at least ${MIN_LOG_SIZE_MAX}`);
  }
  return n;
}
