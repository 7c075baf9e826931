// AllWait is ready when every strategy it holds is; they wait side by
// side, each within its own timeout and the whole within this one's, and
// the first to fail fails the whole.
import { WaitStrategy, type WaitTarget } from "./wait-strategy.js";

export class AllWait extends WaitStrategy {
  constructor(private readonly strategies: readonly WaitStrategy[]) {
    super();
  }

  describe(): string {
    return `all of (${this.strategies.map((s) => s.describe()).join("; ")})`;
  }

  async waitUntilReady(target: WaitTarget, deadline: number): Promise<void> {
    const own = this.deadlineFrom(deadline);
    await Promise.all(this.strategies.map((s) => s.waitUntilReady(target, own)));
  }
}
