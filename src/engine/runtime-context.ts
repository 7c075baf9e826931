// RuntimeContext is what a container needs from the engine around it: the
// runtime binaries, its namespace's runc, and a way to publish events. It is
// the seam where unit tests could swap a fake runtime in.
import type { EventType } from "../gen/berth/v1/types_pb.js";
import type { Runc } from "../runtime/runc.js";

export interface PublishFields {
  processId: string;
  pid?: number;
  exitCode?: number;
  oomKilled?: boolean;
}

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
  publish(containerId: string, type: EventType, fields: PublishFields): void;
  reportError(err: unknown): void;
}
