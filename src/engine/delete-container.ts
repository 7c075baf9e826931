// deleteContainer is Delete: it removes a stopped container, or with force
// kills it first. A crash half-way is finished by restore: the record says
// "deleting" until the delete event is durable, and goes last.
//
// Delete fails only before it publishes the delete event; once that is out
// the container is gone and Delete succeeds. A journal that cannot write
// (a full disk) fails it before, when the record cannot be marked, or is
// waited for after, up to DELETE_DURABLE_WAIT_MS, and then behind the
// answer (see discardContainer): the event stream never announces a delete
// the caller is told did not happen.
import { failedPrecondition } from "../errors/berth-error.js";
import { failpoint } from "../faults/failpoint.js";
import type { ExitStatus } from "../gen/berth/v1/types_pb.js";
import { NO_SPAN, type Span } from "../trace/span.js";
import { deleteEventOf, discardContainer } from "./discard-container.js";
import type { Namespace } from "./engine.js";
import type { ManagedContainer } from "./managed-container.js";
import { exitStatusOf } from "./managed-process.js";
import { killAndWait } from "./run-control.js";

// How long a Delete whose delete event is published waits for the journal
// to make it durable before it answers anyway (the wait goes on behind it).
const DELETE_DURABLE_WAIT_MS = 5000;

// span times its steps for the phase trace.
export async function deleteContainer(ns: Namespace, c: ManagedContainer, force: boolean, expectedRevision?: bigint, span: Span = NO_SPAN): Promise<ExitStatus> {
  const id = c.id;
  return c.locked(expectedRevision, async () => {
    span.step("queue wait");
    // A created container never ran: it goes without force, as Docker's.
    const live = c.init.state.is("running", "paused");
    if (live && !force) throw failedPrecondition(`cannot delete a ${c.init.state.name} container: stop it first (Signal SIGKILL) or delete with force`);
    // A user's stop: no restart follows the kill, and a pending one is off.
    c.restarts.stoppedByUser();
    if (live) await killAndWait(c, undefined, span);
    // The last run's poststop hooks run while its bundle is still there.
    await c.poststop.settle();
    span.step("poststop hooks");
    c.markDeleting();
    try {
      await c.record.save();
    } catch (err) {
      // Nothing is removed and nothing published: the container stays.
      c.unmarkDeleting();
      throw err;
    }
    failpoint("delete:after-mark");
    span.step("record write (deleting)");
    // The delete event carries the last run's exit, as the response does;
    // a container never started has none, and says 0 as a Create undone does.
    const last = c.init.exit ?? { exitCode: c.init.state.is("created") ? 0 : 255, exitedAt: new Date(), oomKilled: false };
    const removing = discardContainer(ns, id, c.paths, c.spec, deleteEventOf(last), {
      beforeEvent: async () => {
        ns.containers.delete(id);
        c.markRemoved();
        await c.record.retire();
      },
      durableWaitMs: DELETE_DURABLE_WAIT_MS,
      span,
    });
    const entry = removing.catch(() => {});
    ns.removing.set(id, entry);
    try {
      await removing;
    } finally {
      // A delete event still waiting for the journal keeps the id held.
      if (ns.removing.get(id) === entry) ns.removing.delete(id);
    }
    return exitStatusOf(last);
  });
}
