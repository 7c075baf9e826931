// SerialQueue runs async operations one at a time, in call order: the
// per-container lock. Awaits interleave in JavaScript, so without it a
// Pause and a Delete on one container could both pass their state checks.
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(op: () => Promise<T>): Promise<T> {
    const result = this.tail.then(op, op);
    this.tail = result.catch(() => {});
    return result;
  }
}
