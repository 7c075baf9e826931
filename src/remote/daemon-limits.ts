// The daemon's limits against misuse: each a Remote option with a default,
// checked once at start so a bad value stops the daemon naming it, rather
// than surfacing as odd behaviour under load.
import { invalidArgument } from "../errors/berth-error.js";
import { DEFAULT_MAX_SUBSCRIBERS } from "../backend/event-bus.js";
import { DEFAULT_MAX_CONTAINERS_PER_NAMESPACE } from "../engine/engine.js";
import { DEFAULT_MAX_IMAGE_ARCHIVE_BYTES } from "../engine/image-archives.js";

// DEFAULT_MAX_REQUEST_BYTES is gRPC's own default receive limit.
export const DEFAULT_MAX_REQUEST_BYTES = 4 << 20;
// DEFAULT_MAX_CONCURRENT_STREAMS bounds the calls one HTTP/2 connection
// carries at once (SETTINGS_MAX_CONCURRENT_STREAMS); Node's own default is
// unbounded, which lets one connection hold any number of Subscribe or
// Wait calls, each with its buffers.
export const DEFAULT_MAX_CONCURRENT_STREAMS = 1024;

export interface DaemonLimits {
  maxRequestBytes: number;
  maxConcurrentStreams: number;
  maxContainersPerNamespace: number;
  maxEventSubscribers: number;
  maxImageArchiveBytes: number;
}

const MAX = 2 ** 31 - 1;

const RANGES: Record<keyof DaemonLimits, { min: number; unit: string; max?: number }> = {
  maxRequestBytes: { min: 1024, unit: "bytes" },
  maxConcurrentStreams: { min: 1, unit: "streams a connection" },
  maxContainersPerNamespace: { min: 1, unit: "containers" },
  maxEventSubscribers: { min: 1, unit: "subscriptions" },
  maxImageArchiveBytes: { min: 1024, unit: "bytes", max: Number.MAX_SAFE_INTEGER },
};

// daemonLimits fills in the defaults and refuses a value that is not a
// whole number in range, naming the option and what it takes.
export function daemonLimits(given: Partial<DaemonLimits>): DaemonLimits {
  const limits: DaemonLimits = {
    maxRequestBytes: given.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
    maxConcurrentStreams: given.maxConcurrentStreams ?? DEFAULT_MAX_CONCURRENT_STREAMS,
    maxContainersPerNamespace: given.maxContainersPerNamespace ?? DEFAULT_MAX_CONTAINERS_PER_NAMESPACE,
    maxEventSubscribers: given.maxEventSubscribers ?? DEFAULT_MAX_SUBSCRIBERS,
    maxImageArchiveBytes: given.maxImageArchiveBytes ?? DEFAULT_MAX_IMAGE_ARCHIVE_BYTES,
  };
  for (const [name, { min, unit, max = MAX }] of Object.entries(RANGES) as Array<[keyof DaemonLimits, { min: number; unit: string; max?: number }]>) {
    const value = limits[name];
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw invalidArgument(`${name} ${value} is not a usable limit: give a whole number of ${unit} from ${min} to ${max}`);
    }
  }
  return limits;
}
