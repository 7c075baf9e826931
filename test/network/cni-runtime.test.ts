// CniRuntime's order of plugins, with stand-in plugins (small node
// scripts named bridge, portmap and firewall in a folder of the test's) so
// that the order itself can be seen: the plugins that pass their
// prevResult through run side by side, each with the first plugin's
// result; a failure among them has every plugin that ran undone; DEL runs
// them side by side too, before the first plugin's DEL; the cache keeps
// the configs as run.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { CniRuntime, groupsOf, type NetworkConfigList } from "../../src/network/cni-runtime.js";

// A stand-in plugin: logs "TYPE COMMAND start|end" to $dir/log; with
// "meet" in its config it waits (up to 20 s) until the plugin named there
// has started too, which it can only do when both run at once; "fail"
// makes its ADD fail. The first plugin (no prevResult) prints a result,
// the others their prevResult.
const PLUGIN = `#!/usr/bin/env node
const fs = require("node:fs");
const path = require("node:path");
const conf = JSON.parse(fs.readFileSync(0, "utf8"));
const dir = path.dirname(process.argv[1]);
const type = conf.type, cmd = process.env.CNI_COMMAND;
const log = (what) => fs.appendFileSync(path.join(dir, "log"), type + " " + cmd + " " + what + "\\n");
log("start");
fs.writeFileSync(path.join(dir, "started-" + type + "-" + cmd), "");
const finish = () => {
  log("end");
  if (cmd === "ADD" && conf.fail) { process.stdout.write(JSON.stringify({ code: 999, msg: type + " failed on purpose" })); process.exit(1); }
  if (cmd === "ADD") process.stdout.write(JSON.stringify(conf.prevResult ?? { cniVersion: "1.0.0", interfaces: [{ name: "br" }], ips: [{ address: "10.9.9.2/24" }] }));
};
const meet = conf.meet && cmd === conf.meetOn ? path.join(dir, "started-" + conf.meet + "-" + cmd) : undefined;
if (meet === undefined) finish();
else {
  const deadline = Date.now() + 20000;
  const wait = () => (fs.existsSync(meet) ? finish() : Date.now() > deadline ? (log("alone"), finish()) : setTimeout(wait, 5));
  wait();
}
`;

describe("CniRuntime", { timeout: 60_000 }, () => {
  let dir: string;
  let cni: CniRuntime;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "berth-cni-runtime-"));
    for (const type of ["bridge", "portmap", "firewall"]) {
      writeFileSync(join(dir, type), PLUGIN);
      chmodSync(join(dir, type), 0o755);
    }
    cni = new CniRuntime([dir], join(dir, "cache"));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const fresh = () => {
    for (const f of ["log", ...["bridge", "portmap", "firewall"].flatMap((t) => ["ADD", "DEL"].map((c) => `started-${t}-${c}`))]) rmSync(join(dir, f), { force: true });
  };
  const logLines = () => (existsSync(join(dir, "log")) ? readFileSync(join(dir, "log"), "utf8").trim().split("\n") : []);
  const list = (extra: Record<string, Record<string, unknown>> = {}): NetworkConfigList => ({
    cniVersion: "1.0.0",
    name: "unit",
    plugins: [
      { type: "bridge", ...extra["bridge"] },
      { type: "portmap", meet: "firewall", meetOn: "ADD", ...extra["portmap"] },
      { type: "firewall", meet: "portmap", meetOn: "DEL", ...extra["firewall"] },
    ],
  });
  const rt = { containerId: "c1", netns: "/nonexistent", ifName: "eth0" };

  it("groups the pass-through plugins after the first, and nothing else", () => {
    const types = (ps: Array<Record<string, unknown>>) => groupsOf(ps).map((g) => g.map((p) => p["type"]).join("+"));
    expect(types([{ type: "bridge" }, { type: "portmap" }, { type: "firewall" }])).toEqual(["bridge", "portmap+firewall"]);
    expect(types([{ type: "bridge" }, { type: "firewall" }])).toEqual(["bridge", "firewall"]);
    expect(types([{ type: "portmap" }, { type: "firewall" }])).toEqual(["portmap", "firewall"]);
    expect(types([{ type: "bridge" }, { type: "portmap" }, { type: "tuning" }, { type: "firewall" }])).toEqual(["bridge", "portmap", "tuning", "firewall"]);
  });

  it("runs portmap and firewall side by side after bridge, each given bridge's result, and caches the configs as run", async () => {
    fresh();
    const result = await cni.addList(list(), rt, async (p) => (p["type"] === "firewall" ? { ...p, configured: true } : p));
    expect(result).toMatchObject({ interfaces: [{ name: "br" }] });
    const lines = logLines();
    // bridge ended before either began; portmap waited for firewall's start.
    expect(lines.slice(0, 2)).toEqual(["bridge ADD start", "bridge ADD end"]);
    expect(lines).not.toContain("portmap ADD alone");
    expect(lines.indexOf("firewall ADD start")).toBeLessThan(lines.indexOf("portmap ADD end"));
    const cached = await cni.cache.load("unit", "c1", "eth0");
    expect((cached?.config as unknown as NetworkConfigList).plugins.map((p) => p["configured"] === true)).toEqual([false, false, true]);

    fresh();
    await cni.delList(list(), rt);
    const del = logLines();
    expect(del).not.toContain("firewall DEL alone");
    expect(del.indexOf("portmap DEL start")).toBeLessThan(del.indexOf("firewall DEL end"));
    expect(del.slice(-2)).toEqual(["bridge DEL start", "bridge DEL end"]);
    expect(await cni.cache.load("unit", "c1", "eth0")).toBeUndefined();
  });

  it("undoes bridge, portmap and firewall when one of the side-by-side plugins fails, and caches nothing", async () => {
    fresh();
    await expect(cni.addList(list({ firewall: { fail: true } }), rt)).rejects.toThrow(/firewall ADD failed \(code 999\): firewall failed on purpose/);
    const lines = logLines();
    for (const t of ["bridge", "portmap", "firewall"]) expect(lines).toContain(`${t} DEL end`);
    expect(lines.indexOf("bridge DEL start")).toBeGreaterThan(Math.max(lines.indexOf("portmap DEL end"), lines.indexOf("firewall DEL end")));
    expect(await cni.cache.load("unit", "c1", "eth0")).toBeUndefined();
  });
});
