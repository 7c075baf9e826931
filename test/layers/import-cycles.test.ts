// No module of src takes part in an import circle: the layer rules
// (imports.test.ts) keep folders apart, this keeps the modules of one folder
// in an order too. Type-only imports vanish at run time and do not count;
// value imports do, since a circle among them makes some module see another
// half loaded.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "../../src");

// valueImports lists the modules a file imports for their values.
function valueImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/^(import|export)\s+(type\s+)?([^;]*?)\s+from\s+"(\.[^"]+)";/gms)) {
    if (m[2] !== undefined) continue;
    const names = m[3]!;
    const braced = /^\{([^}]*)\}$/s.exec(names.trim());
    if (braced !== null) {
      const parts = braced[1]!.split(",").map((p) => p.trim()).filter(Boolean);
      if (parts.length > 0 && parts.every((p) => p.startsWith("type "))) continue;
    }
    out.push(resolve(dirname(file), m[4]!.replace(/\.js$/, ".ts")));
  }
  return out;
}

// cycles returns each group of modules that import one another in a circle
// (Tarjan's strongly connected components of more than one module).
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    for (let w = stack.pop()!; ; w = stack.pop()!) {
      onStack.delete(w);
      group.push(w);
      if (w === v) break;
    }
    if (group.length > 1) out.push(group.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe("module imports", () => {
  it("form no circle anywhere in src", () => {
    const graph = new Map<string, string[]>();
    for (const name of readdirSync(SRC, { recursive: true }) as string[]) {
      if (!name.endsWith(".ts")) continue;
      const file = join(SRC, name);
      graph.set(file, valueImports(file));
    }
    expect(graph.size).toBeGreaterThan(100);
    expect(cycles(graph).map((g) => g.map((f) => f.slice(SRC.length + 1)))).toEqual([]);
  });

  it("sees a circle when there is one, and not one made of type imports", () => {
    const graph = new Map([
      ["a", ["b"]],
      ["b", ["c"]],
      ["c", ["a"]],
      ["d", ["a"]],
    ]);
    expect(cycles(graph)).toEqual([["a", "b", "c"]]);
    expect(cycles(new Map([["x", []]]))).toEqual([]);
    // ManagedContainer and its behaviour modules meet only through types.
    const managed = join(SRC, "engine/managed-container.ts");
    const runControl = join(SRC, "engine/run-control.ts");
    expect(valueImports(managed)).toContain(runControl);
    expect(valueImports(runControl)).not.toContain(managed);
  });
});
