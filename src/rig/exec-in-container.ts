// execInContainer runs a command in a running container to its end and
// gives its exit code and output, stdout and stderr apart, as
// testcontainers' exec does.
import { randomBytes } from "node:crypto";

import type { Client, ProcessOptions } from "../client/client.js";
import { LogStream } from "../gen/berth/v1/types_pb.js";

const NEWLINE = Buffer.from("\n");

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  env?: string[];
  cwd?: string;
  user?: { uid: number; gid: number };
  signal?: AbortSignal;
}

export async function execInContainer(client: Client, id: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const processId = `rig-exec-${randomBytes(6).toString("hex")}`;
  const spec: ProcessOptions = { args: [...args] };
  if (options.env !== undefined) spec.env = options.env;
  if (options.cwd !== undefined) spec.cwd = options.cwd;
  if (options.user !== undefined) spec.user = options.user;
  await client.addProcess(id, processId, spec);
  const { exitCode } = await client.wait(id, { processId, ...(options.signal ? { signal: options.signal } : {}) });
  // conmon drains a process's output before it reports the exit, so the
  // log is complete once wait has answered.
  // Bytes are kept until the end: a partial record may cut a character.
  const stdout: Uint8Array[] = [];
  const stderr: Uint8Array[] = [];
  for await (const line of client.logs(id, { processId })) {
    const into = line.stream === LogStream.STDERR ? stderr : stdout;
    into.push(line.line);
    if (!line.partial) into.push(NEWLINE);
  }
  return { exitCode, stdout: Buffer.concat(stdout).toString("utf8"), stderr: Buffer.concat(stderr).toString("utf8") };
}
