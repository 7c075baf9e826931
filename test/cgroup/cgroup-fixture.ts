import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach } from "vitest";

// useTempDirs hands out temp dirs that are removed after each test.
export function useTempDirs(prefix: string): () => string {
  const made: string[] = [];
  afterEach(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}

// writeTree writes files (relative path -> content) under root, making dirs.
export function writeTree(root: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const path = join(root, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
}

// mountLine builds one mountinfo line the way the kernel writes it, with an
// optional field before the separator as systemd hosts have.
export function mountLine(id: number, root: string, mountPoint: string, fsType: "cgroup" | "cgroup2", superOptions: string): string {
  const escaped = mountPoint.replace(/ /g, "\\040");
  return `${id} 23 0:${id} ${root} ${escaped} rw,nosuid,nodev,noexec,relatime shared:${id} - ${fsType} ${fsType} ${superOptions}`;
}

// microsPerRead times reader.read() after a warm-up that lets the JIT settle,
// and reports the best of several batches, since other suites share the CPUs.
export function microsPerRead(reader: { read(): unknown }, batches = 5, perBatch = 2000): string {
  for (let i = 0; i < perBatch; i++) reader.read();
  const costs: number[] = [];
  for (let b = 0; b < batches; b++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < perBatch; i++) reader.read();
    costs.push(Number(process.hrtime.bigint() - start) / perBatch / 1000);
  }
  costs.sort((x, y) => x - y);
  return `best ${costs[0]!.toFixed(1)} µs, median ${costs[Math.floor(batches / 2)]!.toFixed(1)} µs per call`;
}
