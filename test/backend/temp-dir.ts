// useTempDir gives each test its own directory under the system temp dir
// and removes it afterwards, whatever the test left behind.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach } from "vitest";

export function useTempDir(prefix = "berth-events-"): () => string {
  let dir: string | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    // Retries cover a journal that a failed test left open still writing.
    if (dir !== undefined) await rm(dir, { recursive: true, force: true, maxRetries: 5 });
    dir = undefined;
  });
  return () => {
    if (dir === undefined) throw new Error("useTempDir: no directory outside a test");
    return dir;
  };
}
