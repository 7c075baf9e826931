// parseRestartPolicy reads --restart as Docker spells it: no, always,
// unless-stopped, on-failure or on-failure:N (at most N restarts).
import { RestartPolicy_Kind } from "../client/types.js";
import { parseCount } from "./parse-count.js";
import { UsageError } from "./usage-error.js";

const KINDS: Record<string, RestartPolicy_Kind> = {
  no: RestartPolicy_Kind.NO,
  always: RestartPolicy_Kind.ALWAYS,
  "unless-stopped": RestartPolicy_Kind.UNLESS_STOPPED,
  "on-failure": RestartPolicy_Kind.ON_FAILURE,
};

export function parseRestartPolicy(text: string): { kind: RestartPolicy_Kind; maxRetries: number } {
  const [name = "", max, ...rest] = text.split(":");
  const kind = KINDS[name];
  if (kind === undefined || rest.length > 0 || (max !== undefined && kind !== RestartPolicy_Kind.ON_FAILURE)) {
    throw new UsageError(`--restart ${JSON.stringify(text)}: give no, always, unless-stopped, on-failure or on-failure:N`);
  }
  return { kind, maxRetries: max === undefined ? 0 : parseCount(max, "--restart on-failure:N") };
}
