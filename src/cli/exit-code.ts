// exitCodeOf turns a failure into the CLI's exit code. Each BerthError code
// gets its own: 64 plus the gRPC status code it travels as (grpcurl's
// convention), so scripts can tell "no such container" (69) from "wrong
// state" (73), and the numbers stay clear of the small codes programs
// commonly exit with and of 125-255 (shells, signals).
import { BerthError, type ErrorCode } from "../errors/berth-error.js";
import { toConnectError } from "../wire/status.js";
import { USAGE_EXIT_CODE, UsageError } from "./usage-error.js";

const GRPC_EXIT_BASE = 64;

// What each code means to someone at a terminal, for --help.
export const ERROR_MEANINGS: Record<ErrorCode, string> = {
  canceled: "the call was canceled",
  invalid_argument: "bad input (an id, a signal, a limit)",
  deadline_exceeded: "the call ran out of time",
  not_found: "no such container or process",
  already_exists: "the id is taken, or a daemon already serves the socket",
  resource_exhausted: "the event stream fell too far behind",
  failed_precondition: "the container is in the wrong state for this",
  aborted: "a concurrent change conflicted",
  out_of_range: "the event sequence is no longer held",
  unimplemented: "the daemon does not implement this",
  unauthenticated: "the registry wants credentials (berth login)",
  permission_denied: "the registry refused the credentials or the access",
  data_loss: "downloaded content did not match its digest",
  internal: "the runtime failed (its stderr is in the message)",
  unavailable: "no daemon at the socket, or runc/conmon missing",
};

export function exitCodeOfError(code: ErrorCode): number {
  return GRPC_EXIT_BASE + toConnectError(new BerthError(code, code)).code;
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError) return USAGE_EXIT_CODE;
  return exitCodeOfError(BerthError.from(err).code);
}

// exitCodeTable is the help text listing every code, in numeric order.
export function exitCodeTable(): string {
  const rows = (Object.keys(ERROR_MEANINGS) as ErrorCode[])
    .map((code) => ({ exit: exitCodeOfError(code), code, meaning: ERROR_MEANINGS[code] }))
    .sort((a, b) => a.exit - b.exit);
  return [
    `  ${String(USAGE_EXIT_CODE).padEnd(4)}${"usage".padEnd(21)}a mistake on the command line`,
    ...rows.map((r) => `  ${String(r.exit).padEnd(4)}${r.code.padEnd(21)}${r.meaning}`),
  ].join("\n");
}
