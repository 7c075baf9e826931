// parseHooks reads --hook STAGE=PATH[,ARG...]: the stage (its OCI name,
// or the proto's: createRuntime, create-runtime and create_runtime are one),
// the hook's program and the arguments after its argv[0], which is the
// path. A relative path means the caller's folder, except for a
// start_container hook, whose path is inside the container. Arguments
// holding "," cannot be written this way (use the API).
import { isAbsolute, resolve } from "node:path";

import { HOOK_STAGES, type HookStage } from "../api/hook-stages.js";
import type { CreateOptions } from "../client/client.js";
import { UsageError } from "./usage-error.js";

const FORMAT = "STAGE=PATH[,ARG...]";

export function parseHooks(texts: readonly string[]): CreateOptions["hooks"] {
  if (texts.length === 0) return undefined;
  const hooks: Record<HookStage, Array<{ path: string; args: string[] }>> = Object.fromEntries(HOOK_STAGES.map((s) => [s, []])) as never;
  for (const text of texts) {
    const eq = text.indexOf("=");
    const bad = (why: string) => new UsageError(`--hook ${JSON.stringify(text)}: ${why}`);
    if (eq < 1) throw bad(`give ${FORMAT}`);
    const stage = stageOf(text.slice(0, eq));
    if (stage === undefined) throw bad(`the stage must be one of ${HOOK_STAGES.join(", ")}`);
    const [given = "", ...args] = text.slice(eq + 1).split(",");
    if (given === "") throw bad(`give the hook's program after "${text.slice(0, eq)}="`);
    if (stage === "startContainer" && !isAbsolute(given)) throw bad("a startContainer hook's path is inside the container and must be absolute");
    const path = stage === "startContainer" ? given : resolve(given);
    hooks[stage].push({ path, args: [path, ...args] });
  }
  return hooks;
}

function stageOf(name: string): HookStage | undefined {
  const flat = name.toLowerCase().replace(/[-_]/g, "");
  return HOOK_STAGES.find((s) => s.toLowerCase() === flat);
}
