// withAttachStreams gives a Backend libcontainerd's attachStreams: when a
// process starts (start-container, start-process), the backend receives its
// stdio as Node streams, before it hears of the start itself. The streams are
// one attach of the process through the client (in-process or over gRPC),
// from the process's first byte (attach with logs), so nothing written
// before the backend got them is lost.
//
// Backpressure is the backend's: output is read from the log only as fast as
// the backend reads stdout and stderr (one unread stream holds up the other,
// as with pipes), and the process itself is never held up by it.
import { PassThrough, Writable } from "node:stream";

import type { Backend, IOPipe, StateInfo } from "../backend/backend.js";
import { StateStart, StateStartProcess } from "../backend/backend.js";
import type { AttachInput, AttachOptions, AttachOutput } from "../api/client-options.js";
import { LogStream, type Container } from "../gen/berth/v1/types_pb.js";
import { AsyncQueue } from "./async-queue.js";

// AttachClient is the part of a Client that attachStreams uses. Both
// clients have it; naming only these two methods keeps io below
// src/client, which builds on it.
export interface AttachClient {
  state(containerId: string): Promise<Container>;
  attach(containerId: string, options: AttachOptions): AsyncIterable<AttachOutput>;
}

export function withAttachStreams(backend: Backend, client: AttachClient, signal: AbortSignal): Backend {
  const attachStreams = backend.attachStreams?.bind(backend);
  if (attachStreams === undefined) return backend;
  return {
    async stateChanged(containerId: string, state: StateInfo): Promise<void> {
      let failure: unknown;
      if (state.state === StateStart || state.state === StateStartProcess) {
        try {
          await attachStreams(containerId, state.processId, await openIOPipe(client, containerId, state.processId, signal));
        } catch (err) {
          failure = err;
        }
      }
      await backend.stateChanged(containerId, state);
      // Reported by the relay (BackendDispatcher), after the state change
      // was delivered.
      if (failure !== undefined) throw failure;
    },
  };
}

// openIOPipe attaches to one process and presents it as an IOPipe.
export async function openIOPipe(client: AttachClient, containerId: string, processId: string, signal: AbortSignal): Promise<IOPipe> {
  const info = (await client.state(containerId)).processes.find((p) => p.id === processId);
  const terminal = info?.terminal === true;
  const input = info?.stdin === true ? new InputQueue() : undefined;
  const stdout = new PassThrough();
  const stderr = terminal ? null : new PassThrough();
  const outputs = client.attach(containerId, { processId, logs: true, input, signal });
  void (async () => {
    try {
      for await (const out of outputs) {
        if ("exit" in out) break;
        const target = out.stream === LogStream.STDERR && stderr !== null ? stderr : stdout;
        if (!target.write(out.data)) await new Promise((resolve) => target.once("drain", resolve));
      }
      stdout.end();
      stderr?.end();
    } catch (err) {
      stdout.destroy(err as Error);
      stderr?.destroy(err as Error);
    }
  })();
  return { stdin: input?.writable ?? null, stdout, stderr, terminal };
}

// InputQueue turns a Writable into the input of an attach: each write is
// taken in order (its callback fires once the attach asks for the next one,
// which is the Writable's backpressure), and end() closes the process's
// stdin.
class InputQueue implements AsyncIterable<AttachInput> {
  private readonly queue = new AsyncQueue<{ input: AttachInput; taken: () => void }>();

  readonly writable = new Writable({
    write: (chunk: Buffer, _encoding, callback) => this.queue.push({ input: new Uint8Array(chunk), taken: () => callback() }),
    final: (callback) => {
      this.queue.push({ input: { closeStdin: true }, taken: () => callback() });
      this.queue.end();
    },
    destroy: (err, callback) => {
      this.queue.end();
      callback(err);
    },
  });

  async *[Symbol.asyncIterator](): AsyncGenerator<AttachInput> {
    for await (const item of this.queue) {
      yield item.input;
      item.taken();
    }
  }
}
