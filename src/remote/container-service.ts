// ContainerService adapts RPCs to the Client of the caller's namespace: it
// turns each request message into one Client call and the result back into a
// response, and nothing more. Errors leave through with-status.ts.
import type { ServiceImpl } from "@connectrpc/connect";
import { timestampDate, timestampFromDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { Revisioned, SignalLike, StopOptions } from "../client/client.js";
import { ContainerService, WaitCondition } from "../gen/berth/v1/containers_pb.js";
import { checkTimestamp } from "../spec/check-timestamp.js";
import { attachResponseOf, readAttachRequests } from "../wire/attach-messages.js";
import { readCopyToRequests } from "../wire/copy-messages.js";
import { clientForCall, type ClientResolver } from "./namespace.js";
import { streamWithStatus, withStatus } from "./with-status.js";

// The proto carries signals as strings; a decimal string is handed on as the
// number it was, so the engine sees what an in-process caller would pass.
// Anything else stays text, for checkSignalText to judge: " 9" is not 9.
function signalFromWire(signal: string): SignalLike {
  return /^\d+$/.test(signal) ? Number(signal) : signal;
}

// dateOf turns a request's Timestamp field into a Date, refusing one outside
// Timestamp's range before timestampDate would shift it silently.
export function dateOf(field: string, ts: Timestamp | undefined): Date | undefined {
  if (ts === undefined) return undefined;
  checkTimestamp(field, ts);
  return timestampDate(ts);
}

// revisioned carries a request's expected_revision, when set.
function revisioned(req: { expectedRevision?: bigint }): Revisioned {
  return req.expectedRevision === undefined ? {} : { expectedRevision: req.expectedRevision };
}

// stopOptionsOf reads Stop's and Restart's fields: an empty signal is the
// container's own stop signal.
function stopOptionsOf(req: { signal: string; timeoutSeconds?: number; expectedRevision?: bigint }): StopOptions {
  return {
    ...(req.signal !== "" && { signal: signalFromWire(req.signal) }),
    ...(req.timeoutSeconds !== undefined && { timeoutSeconds: req.timeoutSeconds }),
    ...revisioned(req),
  };
}

// An empty process id on the wire means "not given" (the init process).
const optionalId = (processId: string): string | undefined => (processId === "" ? undefined : processId);

export function containerService(deps: ClientResolver): ServiceImpl<typeof ContainerService> {
  return {
    create: withStatus(async (req, ctx) => {
      const { id, $typeName: _type, ...options } = req;
      return { container: await clientForCall(deps, ctx).create(id, options) };
    }),
    start: withStatus(async (req, ctx) => ({ container: await clientForCall(deps, ctx).start(req.id, revisioned(req)) })),
    stop: withStatus(async (req, ctx) => clientForCall(deps, ctx).stop(req.id, stopOptionsOf(req))),
    restart: withStatus(async (req, ctx) => clientForCall(deps, ctx).restart(req.id, stopOptionsOf(req))),
    update: withStatus(async (req, ctx) => {
      const { id, $typeName: _type, labels, ...rest } = req;
      return { container: await clientForCall(deps, ctx).update(id, { ...rest, labels: labels?.values }) };
    }),
    inspect: withStatus(async (req, ctx) => clientForCall(deps, ctx).inspect(req.id, { size: req.size })),
    signal: withStatus(async (req, ctx) => {
      await clientForCall(deps, ctx).signal(req.id, signalFromWire(req.signal), { all: req.all, ...revisioned(req) });
      return {};
    }),
    signalProcess: withStatus(async (req, ctx) => {
      await clientForCall(deps, ctx).signalProcess(req.id, req.processId, signalFromWire(req.signal), revisioned(req));
      return {};
    }),
    addProcess: withStatus(async (req, ctx) => ({
      process: await clientForCall(deps, ctx).addProcess(req.id, req.processId, req.process ?? {}, revisioned(req)),
    })),
    resize: withStatus(async (req, ctx) => {
      await clientForCall(deps, ctx).resize(req.id, req.processId, req.width, req.height, revisioned(req));
      return {};
    }),
    closeStdin: withStatus(async (req, ctx) => {
      await clientForCall(deps, ctx).closeStdin(req.id, req.processId, revisioned(req));
      return {};
    }),
    pause: withStatus(async (req, ctx) => {
      await clientForCall(deps, ctx).pause(req.id, revisioned(req));
      return {};
    }),
    resume: withStatus(async (req, ctx) => {
      await clientForCall(deps, ctx).resume(req.id, revisioned(req));
      return {};
    }),
    restore: withStatus(async (req, ctx) => ({ container: await clientForCall(deps, ctx).restore(req.id) })),
    stats: withStatus(async (req, ctx) => ({ stats: await clientForCall(deps, ctx).stats(req.id) })),
    listPids: withStatus(async (req, ctx) => ({ pids: await clientForCall(deps, ctx).getPidsForContainer(req.id) })),
    summary: withStatus(async (req, ctx) => ({ processes: await clientForCall(deps, ctx).summary(req.id) })),
    updateResources: withStatus(async (req, ctx) => {
      await clientForCall(deps, ctx).updateResources(req.id, req.resources ?? {}, revisioned(req));
      return {};
    }),
    delete: withStatus(async (req, ctx) => ({
      exitStatus: await clientForCall(deps, ctx).delete(req.id, { force: req.force, ...revisioned(req) }),
    })),
    // Wait may block for as long as the process runs, so a cancelled or
    // deadlined call must stop waiting.
    wait: withStatus(async (req, ctx) => ({
      exitStatus: await clientForCall(deps, ctx).wait(req.id, {
        processId: optionalId(req.processId),
        condition: req.condition === WaitCondition.UNSPECIFIED ? undefined : req.condition,
        signal: ctx.signal,
      }),
    })),
    state: withStatus(async (req, ctx) => ({ container: await clientForCall(deps, ctx).state(req.id) })),
    list: withStatus(async (req, ctx) => ({
      containers: await clientForCall(deps, ctx).list({ statuses: req.statuses, labels: req.labels }),
    })),
    logs: streamWithStatus(async function* (req, ctx) {
      const lines = clientForCall(deps, ctx).logs(req.id, {
        processId: optionalId(req.processId),
        stdout: req.stdout,
        stderr: req.stderr,
        tail: req.tail,
        since: dateOf("since", req.since),
        until: dateOf("until", req.until),
        follow: req.follow,
        signal: ctx.signal,
      });
      for await (const line of lines) {
        yield { time: timestampFromDate(line.time), stream: line.stream, line: line.line, partial: line.partial };
      }
    }),
    // Attach is bidirectional: the first request names the process, the
    // rest are its input; the call's end (the client went away) detaches.
    attach: streamWithStatus(async function* (requests, ctx) {
      const { start, input } = await readAttachRequests(requests);
      const outputs = clientForCall(deps, ctx).attach(start.id, {
        processId: optionalId(start.processId),
        logs: start.logs,
        input,
        signal: ctx.signal,
      });
      for await (const out of outputs) yield attachResponseOf(out);
    }),
    // CopyTo: the first request says where, the rest are the bytes.
    copyTo: withStatus(async (requests, ctx) => {
      const { start, data } = await readCopyToRequests(requests);
      const f = start.file;
      const source = f === undefined ? data : { path: f.path, mode: f.mode, uid: f.uid, gid: f.gid, mtime: dateOf("file.mtime", f.mtime), content: data };
      const result = await clientForCall(deps, ctx).copyTo(start.id, start.destDir, source, { signal: ctx.signal });
      return { entries: BigInt(result.entries), bytes: BigInt(result.bytes) };
    }),
    copyFrom: streamWithStatus(async function* (req, ctx) {
      const { stat, tar } = await clientForCall(deps, ctx).copyFrom(req.id, req.path, { statOnly: req.statOnly, signal: ctx.signal });
      yield { message: { case: "stat" as const, value: stat } };
      for await (const chunk of tar) yield { message: { case: "data" as const, value: chunk } };
    }),
  };
}
