// ContentLeases are the holds that operations in flight (a pull, a load, a
// save, the making of the built-in image) have on content, as containerd's
// leases are (core/leases; the garbage collector takes every lease as a
// root): a blob or snapshot a lease holds is not collected, whatever the
// records say, until the lease is released; what a collection skipped for
// a lease is collected once the last lease goes. A lease lives as long as
// its operation, in memory: a crash ends both, and the next open collects
// whatever they left. The current lease travels with the async context (as
// containerd's travels in ctx, leases.WithLease), so the store's writers
// hold what they touch without passing it along.
import { AsyncLocalStorage } from "node:async_hooks";

export class Lease {
  readonly blobs = new Set<string>();
  readonly chains = new Set<string>();
  // images (manifest digests) are kept from Prune while the lease lives:
  // a Create between finding its image and the container's own hold on it.
  readonly images = new Set<string>();
  private released = false;

  constructor(
    private readonly owner: ContentLeases,
    readonly label: string,
  ) {}

  // hold keeps blobs and chains; false once the lease is released (a
  // download shared with a pull that gave up runs on in its context).
  hold(blobs: Iterable<string>, chains: Iterable<string> = []): boolean {
    if (this.released) return false;
    for (const b of blobs) this.blobs.add(b);
    for (const c of chains) this.chains.add(c);
    return true;
  }

  // keepImage keeps an image (its record, not only its content) from Prune.
  keepImage(manifest: string): void {
    if (!this.released) this.images.add(manifest);
  }

  // release ends the lease (again: nothing).
  release(): void {
    if (this.released) return;
    this.released = true;
    this.owner.end(this);
  }
}

export class ContentLeases {
  private readonly live = new Set<Lease>();
  private readonly context = new AsyncLocalStorage<Lease>();
  // deferred is set by a collection that kept something only a lease held.
  private deferred = false;

  // afterRelease is called when a lease ends after a collection deferred
  // something to it.
  constructor(private readonly afterRelease: () => void) {}

  open(label: string): Lease {
    const lease = new Lease(this, label);
    this.live.add(lease);
    return lease;
  }

  current(): Lease | undefined {
    return this.context.getStore();
  }

  // run runs fn with lease as the current one.
  run<T>(lease: Lease, fn: () => Promise<T>): Promise<T> {
    return this.context.run(lease, fn);
  }

  // keepsBlob and keepsChain say whether a lease holds it, and note that a
  // collection is owed once the leases go.
  keepsBlob(digest: string): boolean {
    return this.keeps((l) => l.blobs.has(digest));
  }

  keepsChain(chainId: string): boolean {
    return this.keeps((l) => l.chains.has(chainId));
  }

  // keepsImage says whether a lease keeps the image from Prune; nothing
  // is owed when it ends, as the image is still an image then.
  keepsImage(manifest: string): boolean {
    for (const l of this.live) if (l.images.has(manifest)) return true;
    return false;
  }

  labels(): string[] {
    return [...this.live].map((l) => l.label);
  }

  end(lease: Lease): void {
    this.live.delete(lease);
    if (!this.deferred) return;
    this.deferred = false;
    this.afterRelease();
  }

  private keeps(test: (l: Lease) => boolean): boolean {
    for (const l of this.live) {
      if (test(l)) {
        this.deferred = true;
        return true;
      }
    }
    return false;
  }
}
