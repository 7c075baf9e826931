// ExitWait waits for the container's process to end (a one-shot job), and
// with an exit code, fails at once when it ends with another.
import { failedPrecondition } from "../../errors/berth-error.js";
import { Status } from "../../gen/berth/v1/types_pb.js";
import { PollingWait, type Probe, type WaitTarget } from "./wait-strategy.js";

export class ExitWait extends PollingWait {
  protected override endsWithExit = true;

  constructor(private readonly exitCode?: number) {
    super();
  }

  describe(): string {
    return this.exitCode === undefined ? "the process to exit" : `the process to exit with code ${this.exitCode}`;
  }

  protected override async probe(target: WaitTarget): Promise<Probe> {
    const c = await target.client.state(target.id);
    if (c.status !== Status.STOPPED) return { ready: false, seen: `status ${Status[c.status]?.toLowerCase() ?? c.status}` };
    if (this.exitCode !== undefined && c.exitCode !== this.exitCode) {
      throw failedPrecondition(`container ${target.id} exited with code ${c.exitCode ?? "unknown"} while waiting for ${this.describe()}`);
    }
    return { ready: true, seen: `exit code ${c.exitCode ?? "unknown"}` };
  }
}
