// `berth demo`, the README's first command, runs to completion on its own
// private daemon and leaves nothing behind.
import { existsSync } from "node:fs";
import { expect, it } from "vitest";

import { berth } from "./berth-cli.js";

it("takes a container through its whole life and cleans up", async () => {
  const result = await berth(["demo"], {}, 60_000);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  const out = result.stdout;
  const scratch = out.match(/state in (\S+)\/state, serving on/)?.[1];
  expect(scratch).toBeDefined();
  expect(existsSync(scratch!)).toBe(false);
  // Each step, in order, with the events it caused printed as they came.
  const order = ["start-container", "e1 exited with code 7", "memory limit now 128.0 MiB", " pause ", " resume ", "exited with code 143", " delete "];
  const at = order.map((text) => out.indexOf(text));
  expect(at.every((i) => i !== -1), out).toBe(true);
  expect([...at].sort((a, b) => a - b)).toEqual(at);
  expect(out).toMatch(/event .* exit-process +demo-\w+ e1 pid=\d+ exit=7$/m);
  expect(out).toMatch(/event .* exit +demo-\w+ init pid=\d+ exit=143$/m);
  expect(out).toMatch(/stats demo-\w+\n +ok +[\d.]+ ms {2}memory .+ of 64\.0 MiB, pids \d+, cpu [\d.]+ ms/);
  expect(out).toContain("containers left: 0");
});
