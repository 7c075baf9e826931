// RigRun is one test run: an id, and the labels every container it creates
// carries. The first start through a client removes, once, the containers
// of earlier runs whose runner is gone (see run-labels.ts); removeRun
// removes one run's containers whatever the state of its runner, as
// `berth rm --run ID` does.
import { randomBytes } from "node:crypto";

import type { Client } from "../client/client.js";
import { isBerthError } from "../errors/berth-error.js";
import { RUN_LABEL, runLabels, runnerIsGone, thisRunner, type Runner } from "./run-labels.js";

export class RigRun {
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly #runner: Runner;
  // Keyed by client: each client may reach another daemon or namespace.
  readonly #reaped = new WeakMap<Client, Promise<string[]>>();

  constructor(id = `run-${randomBytes(6).toString("hex")}`) {
    this.id = id;
    this.#runner = thisRunner();
    this.labels = runLabels(id, this.#runner);
  }

  // reapOnce removes the abandoned runs' containers in the client's
  // namespace the first time it is called for that client, and gives the
  // ids removed; later calls give the first call's answer.
  reapOnce(client: Client): Promise<string[]> {
    let reaped = this.#reaped.get(client);
    if (reaped === undefined) {
      reaped = reapAbandoned(client, this.#runner);
      // A reap that failed (the daemon was unreachable) is tried again by
      // the next start rather than failing every start after it.
      reaped.catch(() => this.#reaped.delete(client));
      this.#reaped.set(client, reaped);
    }
    return reaped;
  }
}

let current: RigRun | undefined;

// currentRun is this process's run, made on first use; BERTH_RIG_RUN names
// it (so that a CI job can remove what its runs left with `berth rm --run`).
export function currentRun(): RigRun {
  current ??= new RigRun(process.env.BERTH_RIG_RUN || undefined);
  return current;
}

// reapAbandoned force-deletes every container in the client's namespace
// whose run's runner is gone, and gives their ids.
export async function reapAbandoned(client: Client, self: Runner = thisRunner()): Promise<string[]> {
  const gone = (await client.list()).filter((c) => runnerIsGone(c.labels, self)).map((c) => c.id);
  return deleteAll(client, gone);
}

// removeRun force-deletes every container of the run in the client's
// namespace, and gives their ids.
export async function removeRun(client: Client, runId: string): Promise<string[]> {
  const ids = (await client.list({ labels: { [RUN_LABEL]: runId } })).map((c) => c.id);
  return deleteAll(client, ids);
}

async function deleteAll(client: Client, ids: string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const id of ids) {
    try {
      await client.delete(id, { force: true });
      removed.push(id);
    } catch (err) {
      // Another run's reaper, or the runner itself, got there first.
      if (!isBerthError(err, "not_found")) throw err;
    }
  }
  return removed;
}
