// RuntimeContext is what a container needs from the engine around it: the
// runtime binaries, its namespace's runc, and a way to publish events. It is
// the seam where unit tests could swap a fake runtime in.
import type { PublishInput } from "../backend/event-bus.js";
import type { Event, EventType } from "../gen/berth/v1/types_pb.js";
import type { NetworkManager } from "../network/network-manager.js";
import type { Runc } from "../runtime/runc.js";
import type { Tracer } from "../trace/tracer.js";
import type { LivenessPoller } from "./monitor-liveness.js";

// PublishFields is what a container's own event carries beyond its
// namespace, id and type (which the container adds): the bus's fields.
export type PublishFields = Pick<PublishInput, "processId" | "pid" | "exitCode" | "oomKilled" | "monitorDied" | "revision" | "hookStage" | "hookMessage">;

export interface RuntimeContext {
  readonly namespace: string;
  readonly runc: Runc;
  readonly conmonPath: string;
  readonly exitDir: string;
  // logSizeMax bounds each log file (bytes); conmon rotates past it.
  logSizeMax: number | undefined;
  // closed is true once the engine shut down: exits seen after that are
  // left to the exit files, for the next daemon to report.
  readonly closed: boolean;
  // liveness polls the monitors (and monitorless processes) of this daemon.
  readonly liveness: LivenessPoller;
  // networks is the daemon's CNI side (namespaces, addresses, ports).
  readonly networks: NetworkManager;
  // tracer records the phase trace (NO_TRACE when it is off).
  readonly tracer: Tracer;
  publish(containerId: string, type: EventType, fields: PublishFields): Event;
  // durable resolves once every event published so far is in the journal.
  durable(): Promise<void>;
  // history reads the journal's events of one container after a sequence.
  history(containerId: string, afterSequence: bigint): AsyncIterable<Event>;
  reportError(err: unknown): void;
  // releaseImage drops the container's hold on its image, once its root
  // filesystem is unmounted.
  releaseImage(containerId: string): Promise<void>;
  // releaseUserns gives back the container's block of user namespace ids,
  // once its record is removed.
  releaseUserns(containerId: string): Promise<void>;
}
