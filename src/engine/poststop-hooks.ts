// PoststopHooks runs a container's poststop hooks, which berth runs itself
// (runc would run them only at `runc delete`; see src/spec/hook-spec.ts):
// once after each run ends, whoever saw it end (an exit, a Stop, a
// Delete's kill, restore finding a run that ended while no daemon ran), and
// before the next run starts or the container's files go (Start, Restart,
// the restart policy and Delete wait for them: settle). The OCI spec's
// rule: a failing poststop hook is reported (logged, and a HOOK_FAILED
// event) and the remaining hooks still run.
//
// Durable: the record keeps the start time of the last run whose hooks ran
// (ranFor). A run that ended and is not that one is owed them, so a daemon
// killed before they ran runs them after its restart: at least once per
// run, twice only when a crash falls between the hooks and that save.
import { INIT_PROCESS_ID } from "../errors/validate.js";
import { BerthError } from "../errors/berth-error.js";
import { EventType } from "../gen/berth/v1/types_pb.js";
import { runHook } from "../runtime/run-hook.js";
import type { ManagedContainer } from "./managed-container.js";

export class PoststopHooks {
  // ranFor is the startedAt (ISO) of the last run whose hooks have run.
  ranFor: string | undefined;
  private running: { run: string; done: Promise<void> } | undefined;

  constructor(private readonly c: ManagedContainer) {}

  // settle runs the hooks the last run is owed, if it has not yet; it
  // resolves once they have run (never rejects: failures are reported).
  settle(): Promise<void> {
    const run = this.owed();
    if (run === undefined) return Promise.resolve();
    if (this.running?.run === run) return this.running.done;
    const done = this.runAll(run).catch(this.c.ctx.reportError);
    this.running = { run, done };
    return done;
  }

  // owed names the run that ended and is owed its hooks.
  private owed(): string | undefined {
    const c = this.c;
    const startedAt = c.init.startedAt;
    if ((c.createdWith.hooks?.poststop.length ?? 0) === 0 || c.init.exit === undefined || startedAt === undefined) return undefined;
    const run = startedAt.toISOString();
    return run === this.ranFor ? undefined : run;
  }

  // afterFailedRun runs the hooks once a run failed to start (OCI: a
  // failing prestart hook or runtime continues the lifecycle at delete,
  // which runs poststop), so that they can undo what earlier hooks did.
  // Nothing is recorded: a crash first leaves nothing to undo but what
  // restore removes. announce: the container exists, so a failure is an
  // event too (a Create that failed is only logged).
  async afterFailedRun(announce: boolean): Promise<void> {
    if ((this.c.createdWith.hooks?.poststop.length ?? 0) > 0 && !this.c.ctx.closed) await this.runEach(announce).catch(this.c.ctx.reportError);
  }

  private async runAll(run: string): Promise<void> {
    const c = this.c;
    // A daemon shutting down leaves them to the next one.
    if (c.ctx.closed) return;
    await this.runEach(true);
    this.ranFor = run;
    await c.record.save();
  }

  private async runEach(announce: boolean): Promise<void> {
    const c = this.c;
    const hooks = c.createdWith.hooks?.poststop ?? [];
    const state = JSON.stringify({
      ociVersion: c.spec.ociVersion,
      id: c.id,
      status: "stopped",
      bundle: c.paths.bundle,
      ...(c.spec.annotations !== undefined && { annotations: c.spec.annotations }),
    });
    for (let i = 0; i < hooks.length; i++) {
      const hook = hooks[i]!;
      const outcome = await runHook(hook, state, c.paths.bundle).catch((err: unknown) => ({ ok: false as const, why: `could not be run (${(err as Error).message})`, stderr: "" }));
      if (outcome.ok) continue;
      const stderr = outcome.stderr.trim();
      const message = `poststop hook #${i} ${JSON.stringify(hook.path)} ${outcome.why}${stderr === "" ? "" : `; stderr: ${stderr.length > 480 ? `…${stderr.slice(-480)}` : stderr}`}`;
      c.ctx.reportError(new BerthError("failed_precondition", `container ${c.namespace}/${c.id}: ${message}`));
      if (announce && !c.ctx.closed) c.ctx.publish(c.id, EventType.HOOK_FAILED, { processId: INIT_PROCESS_ID, revision: c.revision, hookStage: "poststop", hookMessage: message });
    }
  }
}
