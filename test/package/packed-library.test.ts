// The packed library is what a user installs: `npm pack` of this repository,
// installed into a fresh project, imports as "berth" with its type
// declarations, pulls in no dev dependency, and runs the README's
// TypeScript example as written there (only the daemon's paths are made
// the test's own).
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { checkThenRemove } from "../helpers/test-daemon.js";

const REPO = resolve(import.meta.dirname, "../..");

// readmeExample returns the README's TypeScript example, its daemon pointed
// at the given folder and cgroup parent instead of the host's own.
function readmeExample(stateDir: string, cgroupParent: string): string {
  const readme = readFileSync(join(REPO, "README.md"), "utf8");
  const block = /## The TypeScript API\n+```ts\n([\s\S]*?)\n```/.exec(readme)?.[1];
  if (block === undefined) throw new Error("README.md has no ```ts block under '## The TypeScript API'");
  const start = /Remote\.start\(\{[^}]*\}\)/;
  if (!start.test(block)) throw new Error("the README's example no longer starts a daemon with Remote.start({ ... })");
  return block.replace(start, `Remote.start(${JSON.stringify({ stateDir, socketPath: join(stateDir, "berth.sock"), cgroupParent, network: { defaultNetwork: "none" } })})`);
}

// dependedOn lists the packages that some installed package other than
// berth names in its dependencies.
function dependedOn(nodeModules: string): Set<string> {
  const names = new Set<string>();
  const packages = readdirSync(nodeModules).flatMap((entry) =>
    entry.startsWith("@") ? readdirSync(join(nodeModules, entry)).map((name) => `${entry}/${name}`) : entry.startsWith(".") ? [] : [entry],
  );
  for (const name of packages) {
    if (name === "berth") continue;
    const manifest = join(nodeModules, name, "package.json");
    if (!existsSync(manifest)) continue;
    const { dependencies = {}, peerDependencies = {} } = JSON.parse(readFileSync(manifest, "utf8")) as Record<string, Record<string, string>>;
    for (const dep of [...Object.keys(dependencies), ...Object.keys(peerDependencies)]) names.add(dep);
  }
  return names;
}

describe("the packed library", () => {
  let work: string;
  let tarball: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "berth-pack-"));
    // npm test has built dist/ already; prepack would build it again.
    const out = execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], { cwd: REPO, encoding: "utf8" });
    tarball = join(work, (JSON.parse(out) as Array<{ filename: string }>)[0]!.filename);
  }, 120_000);

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it("holds the built code, its declarations, the CLI and the protos, and no sources or tests", () => {
    const files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).split("\n").filter(Boolean);
    for (const want of ["package/dist/index.js", "package/dist/index.d.ts", "package/bin/berth.js", "package/proto/berth/v1/containers.proto", "package/contrib/berth.service"]) {
      expect(files).toContain(want);
    }
    expect(files.filter((f) => /^package\/(src|test|bench)\//.test(f))).toEqual([]);
  });

  it("installs into a fresh project with no dev dependency and runs the README's TypeScript example", async () => {
    const project = join(work, "project");
    execFileSync("mkdir", ["-p", project]);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "uses-berth", private: true, type: "module" }));
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball], { cwd: project, stdio: "pipe", timeout: 180_000 });
    expect(existsSync(join(project, "node_modules/berth/package.json"))).toBe(true);
    // A dev dependency may be there only because a run-time dependency
    // needs it too (grpc-js depends on proto-loader).
    const needed = dependedOn(join(project, "node_modules"));
    const dev = Object.keys((JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { devDependencies: Record<string, string> }).devDependencies);
    for (const name of dev) {
      if (!needed.has(name)) expect(existsSync(join(project, "node_modules", name)), `dev dependency ${name} installed`).toBe(false);
    }

    const stateDir = join(work, "state");
    const cgroupParent = `/berth-test-pack-${process.pid}`;
    writeFileSync(join(project, "example.ts"), readmeExample(stateDir, cgroupParent));
    // The example copies a tar the user has at hand into a container.
    execFileSync("mkdir", ["-p", join(project, "site")]);
    writeFileSync(join(project, "site/index.html"), "<p>hello</p>\n");
    execFileSync("tar", ["-cf", "site.tar", "site"], { cwd: project });
    // The repository's TypeScript compiles the example against the
    // installed package's declarations, as a user's build would.
    execFileSync(
      join(REPO, "node_modules/.bin/tsc"),
      ["--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--skipLibCheck", "--types", "node", "--typeRoots", join(REPO, "node_modules/@types"), "example.ts"],
      { cwd: project, stdio: "pipe" },
    );
    try {
      const output = execFileSync("node", ["example.js"], { cwd: project, encoding: "utf8", timeout: 90_000 });
      expect(output).toMatch(/^7$/m);
      expect(output).toMatch(/^137$/m);
      expect(output).toMatch(/^hello$/m);
      expect(output).toContain("ping");
      expect(output).toMatch(/exit 0/);
    } finally {
      await checkThenRemove(stateDir, cgroupParent);
    }
  }, 240_000);
});
