// AsyncQueue is an async iterable fed by pushes: a producer that is not
// itself iterable (a terminal, a Writable, a test) hands items to a consumer
// that iterates, in order. Iteration ends once the queue has ended and
// everything pushed before was taken. One consumer at a time.
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private wake: (() => void) | undefined;
  private done = false;

  get ended(): boolean {
    return this.done;
  }

  // push adds an item; after end() it is dropped.
  push(...items: T[]): void {
    if (this.done) return;
    this.items.push(...items);
    this.notify();
  }

  end(): void {
    this.done = true;
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      if (this.items.length > 0) yield this.items.shift()!;
      else if (this.done) return;
      else await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}
