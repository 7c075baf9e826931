// AttachSocket is one connection to the attach socket conmon keeps in a
// process's monitor folder (--full-attach puts it at <folder>/attach). The
// socket is SOCK_SEQPACKET, which Node's net cannot open, hence
// node-unix-socket (an N-API addon with a prebuilt binary).
//
// conmon's side of the protocol (conn_sock.c, ctr_stdio.c):
// - each packet a client sends is raw bytes for the process's stdin; conmon
//   reads at most 32 KiB - 1 of a packet, so packets are kept smaller;
// - shutdown(SHUT_WR) by the client (or closing the connection) makes conmon
//   close the process's stdin, unless it runs with --leave-stdin-open;
// - every chunk the process writes comes back as one packet: a byte naming
//   the stream (2 stdout, 3 stderr) and up to 8 KiB of data. conmon writes
//   it with a blocking write, so a client that stops reading stalls the
//   process: this connection always reads, and drops what it reads (output
//   reaches clients from the log file; see src/io/attach-process.ts).
import { closeSync, openSync } from "node:fs";
import unixSocket from "node-unix-socket";

import { BerthError, failedPrecondition } from "../errors/berth-error.js";

const { SeqpacketSocket } = unixSocket;
type Socket = InstanceType<typeof SeqpacketSocket>;

// MAX_PACKET stays well under conmon's 32 KiB - 1 read size.
export const MAX_PACKET = 16 * 1024;

export class AttachSocket {
  private ended = false;
  private readonly closedPromise: Promise<void>;

  private constructor(private readonly socket: Socket) {
    this.closedPromise = new Promise((resolve) => {
      socket.on("end", () => {
        this.ended = true;
        resolve();
      });
      socket.on("close", () => {
        this.ended = true;
        resolve();
      });
      // An error is followed by close; the next write reports it.
      socket.on("error", () => {});
    });
    // Output is read and dropped: see the comment at the top. The
    // connection alone does not keep an in-process user's Node alive.
    socket.on("data", () => {});
    socket.unref();
  }

  // connect opens the socket of the monitor whose folder is dir. The path
  // goes through /proc/self/fd so that a long state directory cannot exceed
  // the 108 bytes a socket address holds.
  static async connect(dir: string): Promise<AttachSocket> {
    let dirFd: number;
    try {
      dirFd = openSync(dir, "r");
    } catch (err) {
      throw gone(dir, err);
    }
    try {
      const socket = new SeqpacketSocket();
      await new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        try {
          socket.connect(`/proc/self/fd/${dirFd}/attach`, () => {
            socket.off("error", reject);
            resolve();
          });
        } catch (err) {
          reject(err);
        }
      }).catch((err: unknown) => {
        socket.destroy();
        throw gone(dir, err);
      });
      return new AttachSocket(socket);
    } finally {
      closeSync(dirFd);
    }
  }

  // closed resolves when conmon ends the connection (the process exited).
  get closed(): Promise<void> {
    return this.closedPromise;
  }

  get isClosed(): boolean {
    return this.ended;
  }

  // write sends data to the process's stdin, in packets conmon reads whole,
  // and resolves once the kernel has taken the last one.
  async write(data: Uint8Array): Promise<void> {
    for (let off = 0; off < data.length; off += MAX_PACKET) {
      const part = Buffer.from(data.buffer, data.byteOffset + off, Math.min(MAX_PACKET, data.length - off));
      await this.send(part);
    }
  }

  private send(part: Buffer): Promise<void> {
    if (this.ended) return Promise.reject(failedPrecondition("cannot write to stdin: the process's monitor closed its attach socket (the process has exited)"));
    return new Promise((resolve, reject) => {
      try {
        this.socket.write(part, 0, part.length, () => resolve());
      } catch (err) {
        reject(new BerthError("failed_precondition", `cannot write to stdin: ${(err as Error).message}`, { cause: err }));
      }
    });
  }

  // closeWrite shuts the connection down for writing: conmon closes the
  // process's stdin. Output keeps arriving (and being dropped) until the
  // process exits.
  closeWrite(): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve) => this.socket.end(() => resolve()));
  }

  destroy(): void {
    this.ended = true;
    this.socket.destroy();
  }
}

function gone(dir: string, err: unknown): BerthError {
  const code = (err as NodeJS.ErrnoException).code ?? "";
  const message = (err as Error).message ?? String(err);
  if (code === "ENOENT" || code === "ECONNREFUSED" || /ENOENT|ECONNREFUSED|No such file|refused/i.test(message)) {
    return new BerthError("failed_precondition", `the process's monitor is not listening on ${dir}/attach: the process has exited`, { cause: err });
  }
  return new BerthError("internal", `cannot connect to ${dir}/attach: ${message}`, { cause: err });
}
