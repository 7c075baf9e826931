// The settings table and what is read from it: every `berth serve` flag
// has a config key and a BERTH_* variable, every default passes its own
// schema, `berth config default` parses back to exactly the defaults, and
// precedence is flag > environment > file > default.
import { describe, expect, it } from "vitest";

import { serveCommand } from "../../src/cli/commands/serve-command.js";
import { GLOBAL_OPTIONS } from "../../src/cli/global-options.js";
import { validateSetting } from "../../src/config/config-schema.js";
import { defaultConfig } from "../../src/config/default-config.js";
import { parseConfig } from "../../src/config/load-config.js";
import { resolveSettings } from "../../src/config/resolve-settings.js";
import { SETTINGS } from "../../src/config/settings.js";

describe("berth serve's settings", () => {
  it("give every serve flag (and --state-dir, --socket) a config key and a BERTH_* variable", () => {
    const flags = [...serveCommand.options.map((o) => o.name).filter((n) => n !== "config"), ...GLOBAL_OPTIONS.map((o) => o.name).filter((n) => n === "socket" || n === "state-dir")];
    expect(flags.filter((f) => !SETTINGS.some((s) => s.flag === f))).toEqual([]);
    for (const s of SETTINGS) expect(s.env).toMatch(/^BERTH_[A-Z_]+$/);
    expect(new Set(SETTINGS.map((s) => s.env)).size).toBe(SETTINGS.length);
  });

  it("hold defaults and examples that their own schema accepts", () => {
    for (const s of SETTINGS) {
      if (s.default !== undefined) expect(validateSetting(s, s.default), s.key).toBe(true);
      if (s.example !== undefined) expect(validateSetting(s, s.example), s.key).toBe(true);
      expect(s.default !== undefined || s.example !== undefined, s.key).toBe(true);
    }
  });

  it("print a default file that reads back as exactly the defaults", () => {
    const values = parseConfig(defaultConfig(), "default");
    expect(Object.fromEntries(values)).toEqual(Object.fromEntries(SETTINGS.filter((s) => s.default !== undefined).map((s) => [s.key, s.default])));
  });

  it("take a flag over the environment, the environment over the file, the file over the default", () => {
    const file = parseConfig('runtime = "crun"\n[log]\nlevel = "warn"\nformat = "text"\n[limits]\nmax_request_size = 2048\n', "test");
    const r = resolveSettings({ flags: { "log-level": "debug" }, env: { BERTH_LOG_LEVEL: "error", BERTH_LOG_FORMAT: "json", BERTH_MAX_REQUEST_SIZE: "" }, file });
    expect(r.get("log.level")).toEqual({ value: "debug", from: "flag" });
    expect(r.get("log.format")).toEqual({ value: "json", from: "env" });
    expect(r.get("runtime")).toEqual({ value: "crun", from: "file" });
    // An empty variable counts as unset.
    expect(r.get("limits.max_request_size")).toEqual({ value: 2048, from: "file" });
    expect(r.get("network.bridge")).toEqual({ value: "berth0", from: "default" });
    expect(r.has("listen.address")).toBe(false);
  });

  it("read a variable's text by its setting's type, and refuse what the schema does", () => {
    expect(resolveSettings({ flags: {}, env: { BERTH_METRICS: "false" } }).get("metrics.enabled")?.value).toBe(false);
    expect(resolveSettings({ flags: {}, env: { BERTH_MAX_CONTAINERS: "8192" } }).get("limits.max_containers")?.value).toBe(8192);
    expect(() => resolveSettings({ flags: {}, env: { BERTH_MAX_CONTAINERS: "0" } })).toThrow(/BERTH_MAX_CONTAINERS "0" is not allowed: give a whole number from 1/);
    expect(resolveSettings({ flags: {}, env: { BERTH_INSECURE_REGISTRY: "127.0.0.1:5000, [::1]:5001" } }).get("registry.insecure")?.value).toEqual(["127.0.0.1:5000", "[::1]:5001"]);
    expect(resolveSettings({ flags: { "insecure-registry": ["a:1", "b:2"] }, env: {} }).get("registry.insecure")).toEqual({ value: ["a:1", "b:2"], from: "flag" });
    expect(() => resolveSettings({ flags: { "cgroup-parent": "berth" }, env: {} })).toThrow(/--cgroup-parent "berth" is not allowed: give an absolute cgroup path/);
  });

  it("take authorization rules from a repeated flag, a ;-separated variable or a list in the file", () => {
    const rules = ["cn:ci-runner=ci,staging", "uri:spiffe://example/admin?x=1=*"];
    expect(resolveSettings({ flags: { authorize: rules }, env: {} }).get("authorization.rules")?.value).toEqual(rules);
    expect(resolveSettings({ flags: {}, env: { BERTH_AUTHORIZE: rules.join(";") } }).get("authorization.rules")?.value).toEqual(rules);
    const file = parseConfig(`[authorization]\nrules = ${JSON.stringify(rules)}\n`, "f");
    expect(resolveSettings({ flags: {}, env: {}, file }).get("authorization.rules")).toEqual({ value: rules, from: "file" });
    expect(() => parseConfig('[authorization]\nrules = ["ci=ci"]\n', "f")).toThrow(/f: authorization.rules\[0\] = "ci=ci" is not allowed: give IDENTITY=NAMESPACE/);
    expect(() => parseConfig('[registry]\ninsecure = ["ok:5000", "bad host"]\n', "f")).toThrow(/f: registry.insecure\[1\] = "bad host" is not allowed: give a list of registries/);
    expect(() => resolveSettings({ flags: {}, env: { BERTH_AUTHORIZE: "cn:ci" } })).toThrow(/BERTH_AUTHORIZE "cn:ci" is not allowed: give IDENTITY=NAMESPACE\[,NAMESPACE...\] rules/);
  });

  it("refuse a value of the wrong TOML type, naming the key", () => {
    expect(() => parseConfig("[listen]\ninsecure = \"yes\"\n", "f")).toThrow(/f: listen.insecure = "yes" is not allowed: give true or false/);
    expect(() => parseConfig("[socket]\nmode = 600\n", "f")).toThrow(/socket.mode = 600 is not allowed: give octal permission bits as a string/);
    expect(() => parseConfig("socket = \"/run/x.sock\"\n", "f")).toThrow(/socket must be a table \(\[socket\]\) of path, mode, owner, group/);
  });
});
