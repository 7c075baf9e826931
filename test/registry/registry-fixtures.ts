// Per-file helpers for the registry tests: a scratch folder, a fresh image
// store, a RegistryClient over it, and the code of a failed promise.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { ImageStore } from "../../src/image/image-store.js";
import { RegistryClient } from "../../src/registry/registry-client.js";
import type { RegistryOptions } from "../../src/registry/registry-hosts.js";

export interface Scratch {
  dir: string;
  store: ImageStore;
  client: RegistryClient;
  // newClient gives another client over the same store and credentials.
  newClient(options?: RegistryOptions): RegistryClient;
  // blobs lists the store's complete blobs; ingests what is mid-write.
  blobs(): Promise<string[]>;
  ingests(): Promise<string[]>;
  remove(): Promise<void>;
}

export async function scratch(name: string, options: RegistryOptions = {}): Promise<Scratch> {
  const dir = await mkdtemp(join(tmpdir(), `berth-registry-test-${name}-`));
  const store = new ImageStore(join(dir, "images"));
  await store.open();
  const newClient = (more: RegistryOptions = options) => new RegistryClient({ ...more, credentialsFile: join(dir, "registry-auth.json") }, store);
  return {
    dir,
    store,
    client: newClient(),
    newClient,
    blobs: async () => (await store.content.list()).sort(),
    ingests: () => readdir(join(dir, "images", "ingest")).catch(() => []),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

// failure returns the BerthError a promise rejects with (and fails the
// test if it resolves).
export async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error("expected the call to fail, and it succeeded");
}
