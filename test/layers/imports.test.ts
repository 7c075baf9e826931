// Layers import only layers below them. These are the rules the code keeps
// today; each names the folders a layer must not reach up into. (Still
// crossing, and not checked here: src/io reaches into src/engine and
// src/client, and src/client into src/remote.)
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "../../src");

// importsOf lists "<file>: <folder>" for every relative import of a file in
// folder that leaves it for another folder of src.
function importsOf(folder: string): Array<{ file: string; target: string }> {
  const out: Array<{ file: string; target: string }> = [];
  for (const name of readdirSync(join(SRC, folder), { recursive: true }) as string[]) {
    if (!name.endsWith(".ts")) continue;
    const text = readFileSync(join(SRC, folder, name), "utf8");
    for (const m of text.matchAll(/from "(\.\.\/[^"]+)"/g)) {
      const target = resolve(join(SRC, folder, name, ".."), m[1]!).slice(SRC.length + 1).split("/")[0]!;
      if (target !== folder) out.push({ file: `${folder}/${name}`, target });
    }
  }
  return out;
}

const RULES: Array<[string, string[]]> = [
  ["faults", ["backend", "engine", "client", "remote", "io", "cli"]],
  ["api", ["backend", "engine", "client", "remote", "io", "cli"]],
  ["backend", ["engine", "client", "remote", "io", "cli"]],
  ["engine", ["client", "remote", "cli"]],
  ["runtime", ["engine", "client", "remote", "cli"]],
  ["rootfs", ["engine", "client", "remote", "cli"]],
  ["cgroup", ["engine", "client", "remote", "cli"]],
  ["host", ["backend", "engine", "client", "remote", "io", "cli", "rootfs", "runtime"]],
];

describe("layering", () => {
  it.each(RULES)("src/%s imports nothing from the layers above it", (folder, above) => {
    const upward = importsOf(folder).filter((i) => above.includes(i.target)).map((i) => `${i.file} imports src/${i.target}`);
    expect(upward).toEqual([]);
  });

  it("sees an upward import when there is one", () => {
    // The check itself: the client layer does import the engine.
    expect(importsOf("client").some((i) => i.target === "engine")).toBe(true);
  });
});
