// ProcessStdin is the daemon's one way into a process's stdin. conmon closes
// a process's stdin as soon as any attach connection ends, so clients never
// get a connection of their own: every client writes through this one, which
// the daemon opens on first use and keeps until the process exits or
// CloseStdin shuts it. Detaching a client therefore never closes stdin.
import { failedPrecondition } from "../errors/berth-error.js";
import { AttachSocket } from "./attach-socket.js";

// StdinOwner is what ProcessStdin needs to know of a process, read at each
// use (a process gains its stdin when it starts): the engine's
// ManagedProcess is one. Taking only this keeps conmon's protocol below the
// engine that uses it.
export interface StdinOwner {
  readonly id: string;
  // stdin: the process was started with its stdin open.
  readonly stdin: boolean;
  // terminal: its stdin is a pty, which closing the pipe does not end.
  readonly terminal: boolean;
}

// EOT is what a terminal sends for ^D: end of input for a reader in
// canonical mode.
const EOT = Uint8Array.of(4);

export class ProcessStdin {
  private socket: Promise<AttachSocket> | undefined;
  private closed = false;
  // tail orders writes, so that two clients' writes never interleave.
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly process: StdinOwner,
    private readonly monitorDir: string,
  ) {}

  // write sends data to the process's stdin and resolves once conmon has it.
  write(data: Uint8Array): Promise<void> {
    this.requireOpen("write to");
    const p = this.tail.then(async () => (await this.connect()).write(data));
    this.tail = p.catch(() => {});
    return p;
  }

  // close closes the process's stdin: conmon closes the pipe when this
  // connection is shut down for writing. A terminal is not closed by that
  // (the process still holds it), so an EOT goes first, as a user typing ^D
  // at the start of a line. Closing twice is not an error.
  close(): Promise<void> {
    this.requireOpen("close");
    if (this.closed) return this.tail;
    this.closed = true;
    const p = this.tail.then(async () => {
      const socket = await this.connect();
      if (this.process.terminal) await socket.write(EOT);
      await socket.closeWrite();
    });
    this.tail = p.catch(() => {});
    return p;
  }

  private requireOpen(verb: string): void {
    if (!this.process.stdin) {
      throw failedPrecondition(`cannot ${verb} the stdin of process ${this.process.id}: it was started without stdin (start it with stdin: true)`);
    }
    if (this.closed && verb !== "close") throw failedPrecondition(`cannot ${verb} the stdin of process ${this.process.id}: it was closed`);
  }

  private connect(): Promise<AttachSocket> {
    if (this.socket === undefined) {
      const opening = AttachSocket.connect(this.monitorDir);
      this.socket = opening;
      opening.catch(() => {
        if (this.socket === opening) this.socket = undefined;
      });
    }
    return this.socket;
  }
}

// One ProcessStdin per process, for as long as the process object lives.
const stdins = new WeakMap<StdinOwner, ProcessStdin>();

export function stdinOf(process: StdinOwner, monitorDir: string): ProcessStdin {
  let s = stdins.get(process);
  if (s === undefined) {
    s = new ProcessStdin(process, monitorDir);
    stdins.set(process, s);
  }
  return s;
}
