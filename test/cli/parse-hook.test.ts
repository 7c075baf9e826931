import { describe, expect, it } from "vitest";

import { parseHooks } from "../../src/cli/parse-hook.js";
import { UsageError } from "../../src/cli/usage-error.js";

function usageError(text: string): string {
  try {
    parseHooks([text]);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`expected a usage error for ${text}`);
}

describe("parseHooks", () => {
  it("reads STAGE=PATH[,ARG...] with the path as argv[0], repeatable, in order", () => {
    const hooks = parseHooks(["prestart=/usr/local/bin/net,up,eth0", "poststop=/usr/local/bin/net,down", "prestart=/bin/true"]);
    expect(hooks?.prestart).toEqual([
      { path: "/usr/local/bin/net", args: ["/usr/local/bin/net", "up", "eth0"] },
      { path: "/bin/true", args: ["/bin/true"] },
    ]);
    expect(hooks?.poststop).toEqual([{ path: "/usr/local/bin/net", args: ["/usr/local/bin/net", "down"] }]);
    expect(parseHooks([])).toBeUndefined();
  });

  it("takes a stage in OCI, proto or kebab spelling", () => {
    for (const name of ["createRuntime", "create_runtime", "create-runtime", "CREATERUNTIME"]) {
      expect(parseHooks([`${name}=/bin/true`])?.createRuntime).toHaveLength(1);
    }
  });

  it("takes a host path relative to the caller's folder, but a start_container path only absolute", () => {
    expect(parseHooks(["poststop=./hook.sh"])?.poststop?.[0]?.path).toBe(`${process.cwd()}/hook.sh`);
    expect(parseHooks(["startContainer=/in/container"])?.startContainer?.[0]?.path).toBe("/in/container");
    expect(usageError("startContainer=hook.sh")).toContain("must be absolute");
  });

  it("refuses what is not STAGE=PATH, or an unknown stage, saying why", () => {
    expect(usageError("/bin/true")).toContain("give STAGE=PATH[,ARG...]");
    expect(usageError("=/bin/true")).toContain("give STAGE=PATH[,ARG...]");
    expect(usageError("prestop=/bin/true")).toContain("the stage must be one of prestart, createRuntime, createContainer, startContainer, poststart, poststop");
    expect(usageError("poststop=")).toContain("give the hook's program");
  });
});
