// One place that turns a failed runc or conmon call into a BerthError with
// the right code, keeping the runtime's own words (its last error line) in
// the message, as containerd's runtimeError does.
import { BerthError, type ErrorCode } from "../errors/berth-error.js";

// runc logs as logfmt (`level=error msg="..."`) or plain text, depending on
// version and flags; lastErrorLine pulls out the message a person needs.
export function lastErrorLine(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    const m = /msg="((?:[^"\\]|\\.)*)"/.exec(line);
    if (m) return m[1]!.replace(/\\"/g, '"').replace(/\\\\/g, "\\");
    if (!line.startsWith("level=")) return line;
  }
  return "";
}

const PATTERNS: Array<[RegExp, ErrorCode]> = [
  // The process's program could not be run: the caller's args are wrong.
  [/executable file not found|exec format error|unable to start container process: exec:/i, "invalid_argument"],
  // process.cwd names a file inside the container's root: only its root
  // filesystem can tell, so runc is the one to find out (found by the
  // hostile suite: cwd "/etc/passwd").
  [/error during container init: mkdir [^:]*: not a directory|chdir to cwd .* not a directory/i, "invalid_argument"],
  // A mount's source and its destination in the root filesystem are not of
  // one kind (a folder onto /etc/passwd, a file onto /etc): the hostile
  // suite's seed 42 found it answered INTERNAL.
  [/error mounting .* to rootfs at .*: not a directory/i, "invalid_argument"],
  [/container .* does not exist|container does not exist|no such file or directory.*state\.json/i, "not_found"],
  [/container .* already exists|id already in use/i, "already_exists"],
  [/not running|is not running|container not running|is stopped|cannot .* a (stopped|paused|created) container|container is not paused|is paused|container is in .* state/i, "failed_precondition"],
  [/invalid argument|unknown signal|invalid signal|bad value|parse/i, "invalid_argument"],
];

// runtimeError builds the error for a failed runtime command.
export function runtimeError(command: string, stderr: string, exitCode: number | undefined): BerthError {
  const line = lastErrorLine(stderr);
  let code: ErrorCode = "internal";
  for (const [re, c] of PATTERNS) {
    if (re.test(line)) {
      code = c;
      break;
    }
  }
  const why = line !== "" ? line : `exited with code ${exitCode ?? "unknown"} and no message`;
  return new BerthError(code, `${command}: ${why}`);
}

// missingBinary is the UNAVAILABLE error for a runtime that is not installed.
export function missingBinary(name: string, debianPackage: string): BerthError {
  return new BerthError(
    "unavailable",
    `${name} is not installed or not on PATH: install it with \`apt-get install ${debianPackage}\` (or set the ${name} path in the daemon's options)`,
  );
}
