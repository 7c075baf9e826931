// ExecWait runs a command in the container until it exits 0: a health
// probe of the container's own choosing ("wget -q -O- localhost/health").
import { PollingWait, type Probe, type WaitTarget } from "./wait-strategy.js";

export class ExecWait extends PollingWait {
  // An exec'd process costs a monitor: probe less often than a port.
  protected override intervalMs = 250;

  constructor(private readonly args: readonly string[]) {
    super();
  }

  describe(): string {
    return `${JSON.stringify(this.args)} to exit 0`;
  }

  protected override async probe(target: WaitTarget): Promise<Probe> {
    const r = await target.exec(this.args);
    const output = `${r.stdout}${r.stderr}`.trim().slice(-200);
    return { ready: r.exitCode === 0, seen: `exit code ${r.exitCode}${output === "" ? "" : `, output ${JSON.stringify(output)}`}` };
  }
}
