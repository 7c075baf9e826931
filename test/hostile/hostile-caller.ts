// HostileCaller sends the suite's requests from a process of its own
// (hostile-caller-process.mjs), apart from the daemon's process
// (hostile-daemon.ts) and the test's, so encoding a huge request here never
// holds up the test or the probe.
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export type ServiceName = "ContainerService" | "EventService" | "SystemService" | "NetworkService" | "ImageService";

export interface CallSpec {
  service: ServiceName;
  method: string;
  // request is the message for proto-loader (camelCase fields, 64-bit
  // integers as strings), the list of messages for a bidi stream, or bytes
  // sent as they are when raw is true.
  request: unknown;
  raw?: boolean;
  namespace?: string;
  deadlineMs: number;
  // streamMs is how long a stream may stay open before the caller cuts it.
  streamMs?: number;
  // endInput half-closes a bidi stream after its messages.
  endInput?: boolean;
}

export interface CallResult {
  // code is the gRPC status; -1 when the caller could not send the request.
  code: number;
  details: string;
  elapsedMs: number;
  received: number;
  // open is true when a stream was still open, without error, when cut.
  open: boolean;
  firstResponse?: string;
  metadataKeys?: string[];
  // containerId and processId name what a successful Create or AddProcess
  // made.
  containerId?: string;
  processId?: string;
  error?: boolean;
}

const WORKER = fileURLToPath(new URL("./hostile-caller-process.mjs", import.meta.url));
const PROTO_DIR = fileURLToPath(new URL("../../proto", import.meta.url));

export class HostileCaller {
  private readonly worker: ChildProcess;
  private seq = 0;
  private readonly pending = new Map<number, (r: CallResult) => void>();

  constructor(socketPath: string) {
    // Advanced serialization carries Uint8Array (bytes fields) as it is.
    this.worker = fork(WORKER, [socketPath, PROTO_DIR], { serialization: "advanced", stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.worker.on("message", (msg: CallResult & { seq: number }) => {
      const resolve = this.pending.get(msg.seq);
      this.pending.delete(msg.seq);
      resolve?.(msg);
    });
    const fail = (why: string) => {
      for (const resolve of this.pending.values()) resolve({ code: -1, details: `caller process failed: ${why}`, elapsedMs: 0, received: 0, open: false, error: true });
      this.pending.clear();
    };
    this.worker.on("error", (err) => fail(err.message));
    this.worker.on("exit", (code, signal) => fail(`exited (${signal ?? code})`));
  }

  call(spec: CallSpec): Promise<CallResult> {
    const seq = ++this.seq;
    return new Promise((resolve) => {
      this.pending.set(seq, resolve);
      this.worker.send({ seq, streamMs: 300, ...spec });
    });
  }

  // inFlight is how many calls have not answered yet.
  get inFlight(): number {
    return this.pending.size;
  }

  async close(): Promise<void> {
    if (this.worker.exitCode !== null || this.worker.signalCode !== null) return;
    const exited = new Promise((resolve) => this.worker.once("exit", resolve));
    if (this.worker.connected) this.worker.send({ op: "close" });
    else this.worker.kill();
    await exited;
  }
}
