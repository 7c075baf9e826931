// parseVolume reads -v/--volume as Docker spells a bind mount:
// HOST:CONTAINER or HOST:CONTAINER:MODE, MODE being ro or rw. berth has no
// named volumes, so the host side must be a path; like Docker's CLI (since
// 23.0), one starting with "." is taken relative to the caller's folder, as
// the daemon cannot know it. Paths holding ":" cannot be written this way.
import { isAbsolute, resolve } from "node:path";

import { UsageError } from "./usage-error.js";

export interface VolumeMount {
  source: string;
  destination: string;
  readOnly: boolean;
}

const FORMAT = "HOST:CONTAINER[:ro]";

export function parseVolume(text: string): VolumeMount {
  const [source = "", destination = "", mode, ...rest] = text.split(":");
  const bad = (why: string) => new UsageError(`--volume ${JSON.stringify(text)}: ${why}`);
  if (rest.length > 0 || source === "" || destination === "") throw bad(`give ${FORMAT}`);
  if (mode !== undefined && mode !== "ro" && mode !== "rw") throw bad(`the mode must be ro or rw, not ${JSON.stringify(mode)}`);
  if (!isAbsolute(source) && !source.startsWith(".")) {
    throw bad(`berth has no named volumes: give a host path (/data or ./data)`);
  }
  if (!isAbsolute(destination)) throw bad(`the container path ${JSON.stringify(destination)} must be absolute`);
  return { source: resolve(source), destination, readOnly: mode === "ro" };
}
