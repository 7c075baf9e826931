// The command table imports each command when it runs: the name it is
// found by must be the name the command calls itself (help and usage
// errors print the latter).
import { describe, expect, it } from "vitest";

import { loadCommand, loadCommands } from "../../src/cli/commands.js";
import { renderMainHelp } from "../../src/cli/render-help.js";

describe("the command table", () => {
  it("finds every command by the name it calls itself, once each", async () => {
    const commands = await loadCommands();
    const names = commands.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect((await loadCommand(name))?.name).toBe(name);
  });

  it("finds nothing for a name that is no command", async () => {
    expect(await loadCommand("nosuch")).toBeUndefined();
  });

  it("lists every command in the overview, serve first", async () => {
    const help = renderMainHelp(await loadCommands());
    expect(help).toMatch(/Commands:\n {2}serve /);
    for (const c of await loadCommands()) expect(help).toContain(`  ${c.name} `);
  });
});
