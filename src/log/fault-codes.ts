// isDaemonFault says whose fault a status code is, for the level of the
// line that reports it: the daemon's own failure (INTERNAL, UNKNOWN,
// DATA_LOSS, UNAVAILABLE) is logged at error, a caller's mistake
// (NOT_FOUND, INVALID_ARGUMENT, FAILED_PRECONDITION, ...) or a call the
// caller ended (CANCELLED, DEADLINE_EXCEEDED) lower: an operator watching
// for errors must not be paged for a client's typo. It takes gRPC's names
// (upper case) and BerthError's codes (lower case) alike.
const DAEMON_FAULTS = new Set(["internal", "unknown", "data_loss", "unavailable"]);

export function isDaemonFault(code: string): boolean {
  return DAEMON_FAULTS.has(code.toLowerCase());
}
