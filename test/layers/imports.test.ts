// Layers import only layers below them. LAYERS lists every folder of src,
// top first, with the folders it may import; each of those must sit lower
// in the list, so the rules themselves cannot form a circle. README.md's
// folder table says the same in words.
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "../../src");

const LAYERS: Array<[folder: string, mayImport: string[]]> = [
  ["cli", ["rig", "remote", "client", "io", "copy", "backend", "wire", "api", "config", "log", "errors", "gen"]],
  ["rig", ["client", "errors", "gen"]],
  ["remote", ["client", "io", "engine", "network", "registry", "backend", "host", "image", "rootfs", "userns", "runtime", "cgroup", "spec", "wire", "api", "log", "errors", "faults", "metrics", "gen", "trace"]],
  ["client", ["io", "engine", "network", "registry", "copy", "backend", "spec", "wire", "api", "errors", "gen"]],
  ["io", ["engine", "backend", "runtime", "api", "errors", "gen"]],
  ["engine", ["network", "backend", "host", "image", "rootfs", "userns", "runtime", "cgroup", "spec", "api", "log", "errors", "faults", "gen", "trace"]],
  ["network", ["rootfs", "runtime", "spec", "errors", "faults", "gen"]],
  ["registry", ["image", "api", "errors", "faults", "gen"]],
  ["copy", ["api", "errors", "gen"]],
  ["backend", ["api", "errors", "faults", "gen"]],
  ["host", ["cgroup", "errors", "gen"]],
  ["image", ["rootfs", "runtime", "errors", "faults", "gen"]],
  ["rootfs", ["runtime", "errors", "gen"]],
  ["userns", ["api", "errors"]],
  ["runtime", ["api", "errors", "faults", "gen", "trace"]],
  ["cgroup", ["spec", "api", "errors", "gen"]],
  ["spec", ["api", "errors", "gen"]],
  ["wire", ["api", "errors", "gen"]],
  ["api", ["gen"]],
  ["config", ["log", "errors"]],
  ["log", ["errors", "gen"]],
  ["metrics", []],
  ["trace", []],
  ["faults", []],
  ["errors", []],
  ["gen", []],
];

// importsOf lists every relative import (static, re-export or dynamic) of a
// file in folder that leaves it for another folder of src.
function importsOf(folder: string): Array<{ file: string; target: string; path: string }> {
  const out: Array<{ file: string; target: string; path: string }> = [];
  for (const name of readdirSync(join(SRC, folder), { recursive: true }) as string[]) {
    if (!name.endsWith(".ts")) continue;
    const text = readFileSync(join(SRC, folder, name), "utf8");
    for (const m of text.matchAll(/(?:from |import\()"(\.\.\/[^"]+)"/g)) {
      const target = resolve(join(SRC, folder, name, ".."), m[1]!).slice(SRC.length + 1).split("/")[0]!;
      if (target !== folder) out.push({ file: `${folder}/${name}`, target, path: m[1]! });
    }
  }
  return out;
}

describe("layering", () => {
  it("places every folder of src, and only those", () => {
    const folders = readdirSync(SRC, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    expect(LAYERS.map(([folder]) => folder).sort()).toEqual(folders.sort());
  });

  it.each(LAYERS)("src/%s may import only folders below it", (folder, mayImport) => {
    const below = LAYERS.slice(LAYERS.findIndex(([f]) => f === folder) + 1).map(([f]) => f);
    expect(mayImport.filter((f) => !below.includes(f))).toEqual([]);
  });

  it.each(LAYERS)("src/%s imports only the folders it may", (folder, mayImport) => {
    const stray = importsOf(folder).filter((i) => !mayImport.includes(i.target)).map((i) => `${i.file} imports src/${i.target}`);
    expect(stray).toEqual([]);
  });

  it("sees an import when there is one", () => {
    // The check itself: the client layer does import the engine, dynamic
    // imports included (Remote loads GrpcClient on demand).
    expect(importsOf("client").some((i) => i.target === "engine")).toBe(true);
    expect(importsOf("remote").some((i) => i.file === "remote/remote.ts" && i.path === "../client/grpc-client.js")).toBe(true);
  });
});
