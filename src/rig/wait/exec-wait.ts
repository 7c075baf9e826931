// ExecWait runs a command in the container until it exits 0: a health
// probe of the container's own choosing ("wget -q -O- localhost/health").
import { invalidArgument } from "../../errors/berth-error.js";
import { PollingWait, type Probe, type ProbeContext, type WaitTarget } from "./wait-strategy.js";

export class ExecWait extends PollingWait {
  // An exec'd process costs a monitor: probe less often than a port.
  protected override intervalMs = 250;

  constructor(private readonly args: readonly string[]) {
    super();
    if (args.length === 0) throw invalidArgument("forExec needs a command: give its program and arguments");
  }

  describe(): string {
    return `${JSON.stringify(this.args)} to exit 0`;
  }

  protected override async probe(target: WaitTarget, { deadline }: ProbeContext): Promise<Probe> {
    // A probe that hangs past the deadline is given up (the container,
    // not ready, is deleted with it).
    const signal = AbortSignal.timeout(Math.max(1, deadline - Date.now()));
    let r;
    try {
      r = await target.exec(this.args, { signal });
    } catch (err) {
      if (signal.aborted) return { ready: false, seen: "the last probe was still running at the deadline" };
      throw err;
    }
    const output = `${r.stdout}${r.stderr}`.trim().slice(-200);
    return { ready: r.exitCode === 0, seen: `exit code ${r.exitCode}${output === "" ? "" : `, output ${JSON.stringify(output)}`}` };
  }
}
