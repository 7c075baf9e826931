// Update changes a container's mutable configuration in one step, then,
// when asked, its run state (VIC's handle: SetEntryPoint, SetRunState and
// Commit). Every part is checked before anything changes; the cgroup limits
// go first, because only the kernel can refuse them (a memory limit below
// what the container uses), and the rest cannot fail once checked. The
// caller holds the container's queue and has checked its revision.
import { invalidArgument } from "../errors/berth-error.js";
import { checkEnum } from "../errors/validate.js";
import { Status, StatusSchema } from "../gen/berth/v1/types_pb.js";
import type { UpdateOptions } from "../api/client-options.js";
import { applyResourcesToSpec, checkResourceUpdate, type CheckedResources } from "../spec/resources.js";
import { buildProcess, checkProcessOptions, type ProcessOptions } from "../spec/process-spec.js";
import { checkLabels } from "../spec/request-limits.js";
import type { OciProcess } from "../spec/oci-spec.js";
import { writeFileAtomic } from "./atomic-file.js";
import type { ManagedContainer } from "./managed-container.js";
import { restartPolicyOf, type RestartPolicySpec } from "./restart-manager.js";
import { DEFAULT_STOP_TIMEOUT_S, startContainer, stopContainer } from "./run-control.js";
import { stopSignalName } from "./signals.js";

// CheckedUpdate is an Update whose every part is known to be well formed.
export interface CheckedUpdate {
  labels?: Record<string, string>;
  resources?: CheckedResources;
  restartPolicy?: RestartPolicySpec;
  stopSignal?: string;
  process?: ProcessOptions;
  runState?: Status.RUNNING | Status.PAUSED | Status.STOPPED;
}

// checkUpdate checks an Update's fields, before the container is looked at.
export function checkUpdate(options: UpdateOptions): CheckedUpdate {
  const out: CheckedUpdate = {};
  if (options.labels !== undefined) {
    checkLabels("labels", options.labels);
    out.labels = { ...options.labels };
  }
  if (options.resources !== undefined) out.resources = checkResourceUpdate(options.resources);
  if (options.restartPolicy !== undefined) out.restartPolicy = restartPolicyOf(options.restartPolicy);
  if (options.stopSignal !== undefined) out.stopSignal = stopSignalName(options.stopSignal);
  if (options.process !== undefined) {
    const process = { ...options.process, args: options.process.args ?? [] };
    if (process.args.length === 0) throw invalidArgument("process.args is empty: name the program the next start runs");
    checkProcessOptions(process, "process");
    out.process = process;
  }
  const runState = options.runState;
  if (runState !== undefined && runState !== Status.UNSPECIFIED) {
    checkEnum("run_state", runState, StatusSchema);
    if (runState !== Status.RUNNING && runState !== Status.PAUSED && runState !== Status.STOPPED) {
      throw invalidArgument(`run_state ${Status[runState]} cannot be asked for: give RUNNING, PAUSED or STOPPED`);
    }
    out.runState = runState;
  }
  return out;
}

export async function updateContainer(c: ManagedContainer, u: CheckedUpdate): Promise<void> {
  const init = c.init;
  // Refuse a run state the container cannot reach before changing anything.
  if (u.runState === Status.PAUSED) init.state.require("pause", "running", "paused");
  const process: OciProcess | undefined = u.process && c.spec.process && buildProcess(u.process, c.spec.process);
  const live = init.state.is("running", "paused");
  if (u.resources !== undefined) {
    if (live) await c.updateResourcesNow(u.resources);
    else applyResourcesToSpec(c.spec, u.resources);
  }
  if (process !== undefined) {
    // The next run's: the bundle's spec is what `runc create` reads, and
    // the run under way keeps its own terminal and stdin.
    c.spec.process = process;
    c.nextRunStdin = u.process?.stdin === true;
  }
  if (process !== undefined || (u.resources !== undefined && !live)) await writeFileAtomic(c.paths.config, JSON.stringify(c.spec));
  if (u.labels !== undefined) c.labels = u.labels;
  if (u.stopSignal !== undefined) c.stopSignal = u.stopSignal;
  if (u.restartPolicy !== undefined) {
    c.restarts.state.policy = u.restartPolicy;
    // A restart the old policy decided on is off under a policy of none.
    if (u.restartPolicy.name === "no") c.restarts.dropPending();
  }
  c.changed();
  await c.record.save();
  switch (u.runState) {
    case Status.RUNNING:
      if (init.state.is("paused")) await c.resumeNow();
      else await startContainer(c);
      break;
    case Status.PAUSED:
      if (init.state.is("running")) await c.pauseNow();
      break;
    case Status.STOPPED:
      await stopContainer(c, c.stopSignalNumber(), DEFAULT_STOP_TIMEOUT_S);
      break;
    default:
      break;
  }
}
