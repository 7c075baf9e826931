// The image commands through the built CLI against a real `berth serve`:
// load -i FILE and from stdin, images (names, -q, --dangling), image
// inspect, tag, run --image with the image's own command and with one
// given, rmi refusing an image in use and -f, save -o FILE loading back,
// image prune [-a] with the space it reclaimed, and the exit codes of a
// client's mistakes.
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

import { busyboxImage, dockerSaveArchive, ociArchive } from "../fixtures/busybox-images.js";
import { BERTH_BIN, useServeDaemon } from "./berth-cli.js";

const prefix = `cliimg-${process.pid}-${Date.now().toString(36)}`;
const id = (name: string) => `${prefix}-${name}`;
const REPO = "registry.example.test/cli";

const served = useServeDaemon("cliimg", prefix);
const cli = served.cli;

function piped(args: string[], input: Buffer): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BERTH_BIN, ...args], { env: { ...process.env, ...served.env }, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  child.stdin.end(input);
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout: out, stderr: err })));
}

describe("berth image commands", () => {
  it("load, images, inspect, tag, run --image, rmi, save and prune", { timeout: 120_000 }, async () => {
    const app = await busyboxImage("cli-app", { Cmd: ["sh", "-c", "echo from-image; cat /data/unique"], WorkingDir: "/data" });
    const other = await busyboxImage("cli-other");
    const file = join(served.scratch, "app.tar");
    await writeFile(file, await ociArchive([{ image: app, name: `${REPO}/app:1` }]));
    expect(await cli("load", "-i", file)).toMatchObject({ code: 0, stdout: `Loaded image: ${REPO}/app:1\n` });
    expect(await piped(["load"], await dockerSaveArchive([{ image: other, tags: [`${REPO}/other:1`] }]))).toMatchObject({ code: 0, stdout: `Loaded image: ${REPO}/other:1\n` });

    const listed = (await cli("images")).stdout.split("\n");
    expect(listed[0]).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE/);
    expect(listed.find((l) => l.startsWith(`${REPO}/app `))).toMatch(new RegExp(`^${REPO}/app\\s+1\\s+${app.configDigest.slice(7, 19)}\\s+\\S+ ago\\s+[\\d.]+ MiB`));
    const quiet = (await cli("images", "-q")).stdout.split("\n").filter(Boolean);
    expect(quiet).toEqual(expect.arrayContaining([app.configDigest.slice(7, 19), other.configDigest.slice(7, 19)]));
    const inspected = JSON.parse((await cli("image", "inspect", `${REPO}/app:1`)).stdout) as Array<{ id: string; config: { cmd: string[] } }>;
    expect(inspected[0]).toMatchObject({ id: app.configDigest, config: { cmd: ["sh", "-c", "echo from-image; cat /data/unique"] } });

    expect((await cli("tag", `${REPO}/app:1`, `${REPO}/app:2`)).code).toBe(0);
    expect(await cli("run", "--rm", "--image", `${REPO}/app:2`, id("own"))).toMatchObject({ code: 0, stdout: "from-image\ncli-app\n" });
    expect(await cli("run", "--rm", "--image", `${REPO}/app:2`, id("given"), "--", "pwd")).toMatchObject({ code: 0, stdout: "/data\n" });

    const user = id("user");
    expect((await cli("run", "-d", "--image", `${REPO}/other:1`, user, "--", "sleep", "300")).code).toBe(0);
    const refused = await cli("rmi", `${REPO}/other:1`);
    expect(refused.code).toBe(64 + 9);
    expect(refused.stderr).toContain(user);
    expect(await cli("rmi", `${REPO}/app:2`)).toMatchObject({ code: 0, stdout: `Untagged: ${REPO}/app:2\n` });

    const saved = join(served.scratch, "saved.tar");
    expect((await cli("save", "-o", saved, `${REPO}/app:1`)).code).toBe(0);
    expect(await cli("rmi", "-f", `${REPO}/app:1`)).toMatchObject({ code: 0, stdout: `Untagged: ${REPO}/app:1\nDeleted: ${app.configDigest}\n` });
    expect(await cli("load", "-i", saved)).toMatchObject({ code: 0, stdout: `Loaded image: ${REPO}/app:1\n` });
    expect((await readFile(saved)).length).toBeGreaterThan(1_000_000);

    // Loading another image under app:1 leaves the loaded one dangling.
    await writeFile(file, await ociArchive([{ image: await busyboxImage("cli-app-2"), name: `${REPO}/app:1` }]));
    expect((await cli("load", "-i", file)).code).toBe(0);
    expect((await cli("images", "--dangling", "-q")).stdout).toBe(`${app.configDigest.slice(7, 19)}\n`);
    const pruned = await cli("image", "prune");
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toContain(`deleted: ${app.configDigest}`);
    expect(pruned.stdout).toMatch(/Total reclaimed space: [\d.]+ (B|KiB|MiB)\n$/);
    const all = await cli("image", "prune", "-a");
    expect(all.stdout).toContain(`untagged: ${REPO}/app:1`);
    expect(all.stdout).not.toContain(`untagged: ${REPO}/other:1`);
    expect((await cli("rm", "-f", user)).code).toBe(0);

    expect((await cli("image", "inspect", "Not A Ref")).code).toBe(64 + 3);
    expect((await cli("rmi", `${REPO}/never:1`)).code).toBe(64 + 5);
    expect((await cli("load", "-i", join(served.scratch, "app.tar.missing"))).code).not.toBe(0);
  });
});
