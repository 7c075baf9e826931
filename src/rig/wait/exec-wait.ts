// ExecWait runs a command in the container until it exits 0: a health
// probe of the container's own choosing ("wget -q -O- localhost/health").
import { invalidArgument } from "../../errors/berth-error.js";
import { PollingWait, type Probe, type ProbeContext, type WaitTarget } from "./wait-strategy.js";

export class ExecWait extends PollingWait {
  // An exec'd process costs a monitor: probe less often than a port.
  protected override intervalMs = 250;
  #lastSeen = "";

  constructor(private readonly args: readonly string[]) {
    super();
    if (args.length === 0) throw invalidArgument("forExec needs a command: give its program and arguments");
  }

  protected override reset(): void {
    this.#lastSeen = "";
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
      if (!signal.aborted) throw err;
      return { ready: false, seen: this.#lastSeen === "" ? "the first probe was still running at the deadline" : `${this.#lastSeen}, then a probe still running at the deadline` };
    }
    const output = `${r.stdout}${r.stderr}`.trim().slice(-200);
    this.#lastSeen = `exit code ${r.exitCode}${output === "" ? "" : `, output ${JSON.stringify(output)}`}`;
    return { ready: r.exitCode === 0, seen: this.#lastSeen };
  }
}
