// berth cp through the built CLI against a real `berth serve`: a host
// folder into a container under its own name and under a new one, a tar on
// stdin, a container folder out to the host and as a tar on stdout, and a
// container's archive that cannot write outside the host folder it lands in.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, readlink, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

import { BERTH_BIN, useServeDaemon } from "./berth-cli.js";

const prefix = `clicp-${process.pid}-${Date.now().toString(36)}`;
const id = (name: string) => `${prefix}-${name}`;


const served = useServeDaemon("clicp", prefix);
const cli = served.cli;

// piped runs berth with stdin from a buffer and stdout as bytes.
function piped(args: string[], input?: Buffer): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  const child = spawn(process.execPath, [BERTH_BIN, ...args], { env: { ...process.env, ...served.env }, stdio: ["pipe", "pipe", "pipe"] });
  const out: Buffer[] = [];
  let err = "";
  child.stdout.on("data", (d: Buffer) => out.push(d));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  child.stdin.end(input ?? Buffer.alloc(0));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err })));
}

function tar(args: string[], input?: Buffer): Promise<Buffer> {
  const child = spawn("tar", args, { stdio: [input === undefined ? "ignore" : "pipe", "pipe", "inherit"] });
  const out: Buffer[] = [];
  child.stdout!.on("data", (d: Buffer) => out.push(d));
  child.stdin?.end(input);
  return new Promise((resolve, reject) => child.on("close", (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`tar ${args.join(" ")}: ${code}`)))));
}

describe("berth cp", () => {
  it("copies a host folder in (its own name, a new name, a tar on stdin) and back out (to a folder, as a tar on stdout)", { timeout: 60_000 }, async () => {
    const c = id("cp");
    expect((await cli("run", "-d", c, "--", "sleep", "300")).code).toBe(0);
    const src = join(served.scratch, "site");
    await mkdir(join(src, "css"), { recursive: true });
    await writeFile(join(src, "index.html"), "<h1>hi</h1>\n");
    await writeFile(join(src, "css", "a.css"), "body{}\n");
    await symlink("index.html", join(src, "home.html"));
    expect(await cli("cp", src, `${c}:/tmp`)).toMatchObject({ code: 0, stderr: "" });
    expect(await cli("cp", src, `${c}:/tmp/renamed`)).toMatchObject({ code: 0, stderr: "" });
    const listing = await cli("exec", c, "--", "sh", "-c", "cat /tmp/site/index.html /tmp/renamed/css/a.css; readlink /tmp/site/home.html; stat -c %u /tmp/site/index.html");
    expect(listing.stdout).toBe("<h1>hi</h1>\nbody{}\nindex.html\n0\n");
    const archive = await tar(["-C", src, "-cf", "-", "css"]);
    expect((await piped(["cp", "-", `${c}:/var`], archive)).code).toBe(0);
    expect((await cli("exec", c, "--", "cat", "/var/css/a.css")).stdout).toBe("body{}\n");

    const out = join(served.scratch, "out");
    await mkdir(out);
    expect(await cli("cp", `${c}:/tmp/site`, out)).toMatchObject({ code: 0, stderr: "" });
    expect(await readFile(join(out, "site", "css", "a.css"), "utf8")).toBe("body{}\n");
    expect(await readlink(join(out, "site", "home.html"))).toBe("index.html");
    expect(await cli("cp", `${c}:/tmp/site/index.html`, join(out, "copy.html"))).toMatchObject({ code: 0 });
    expect(await readFile(join(out, "copy.html"), "utf8")).toBe("<h1>hi</h1>\n");
    const streamed = await piped(["cp", `${c}:/tmp/site/css`, "-"]);
    expect(streamed.code).toBe(0);
    expect((await tar(["-tf", "-"], streamed.stdout)).toString().split("\n").filter(Boolean).sort()).toEqual(["css/", "css/a.css"]);
    await cli("rm", "-f", c);
  });

  it("extracts a container's archive only inside the host folder, whatever links the container planted", { timeout: 60_000 }, async () => {
    const c = id("evil");
    const victim = join(served.scratch, "victim");
    await mkdir(victim);
    expect((await cli("run", "-d", c, "--", "sh", "-c", `mkdir -p /x; ln -s ${victim} /x/out; ln -s / /x/root; touch /ready; sleep 300`)).code).toBe(0);
    expect((await cli("exec", c, "--", "sh", "-c", "until test -e /ready; do sleep 0.05; done")).code).toBe(0);
    // The container then writes through its links: none of that reaches the host.
    await cli("exec", c, "--", "sh", "-c", "echo pwned > /x/out/owned 2>/dev/null; true");
    const out = join(served.scratch, "evil-out");
    await mkdir(out);
    expect((await cli("cp", `${c}:/x`, out)).code).toBe(0);
    expect(await readlink(join(out, "x", "out"))).toBe(victim);
    expect(existsSync(join(victim, "owned"))).toBe(false);
    await cli("rm", "-f", c);
  });
});
