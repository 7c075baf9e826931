// Fixtures of the copy tests: a host tree with odd modes, owners, links and
// a large file; GNU tar as the independent archiver on the host side; a
// tree's description (modes, owners, times, link targets, hard-link groups,
// content hashes) to compare two trees by; a command's output from inside a
// container.
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { chmod, chown, link, lstat, lutimes, mkdir, readdir, readlink, symlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { finished } from "node:stream/promises";

import type { Client } from "../../src/client/client.js";

// makeTree writes the test tree under dir/odd, with a file of bigBytes.
export async function makeTree(dir: string, bigBytes: number): Promise<void> {
  const odd = join(dir, "odd");
  await mkdir(join(odd, "sub", "deeper"), { recursive: true });
  await writeFile(join(odd, "run.sh"), "#!/bin/sh\necho hi\n");
  await chown(join(odd, "run.sh"), 1234, 5678);
  await chmod(join(odd, "run.sh"), 0o4755);
  await writeFile(join(odd, "secret"), "s3cret\n");
  await chmod(join(odd, "secret"), 0o600);
  await writeFile(join(odd, "sub", "deeper", "empty"), "");
  await chmod(join(odd, "sub", "deeper", "empty"), 0o444);
  await symlink("run.sh", join(odd, "link"));
  await symlink("/etc/passwd", join(odd, "abs-link"));
  await link(join(odd, "run.sh"), join(odd, "hard"));
  await writeBig(join(odd, "big.bin"), bigBytes);
  const past = new Date("2001-02-03T04:05:06Z");
  await lutimes(join(odd, "link"), past, past);
  await utimes(join(odd, "secret"), past, past);
  await chmod(join(odd, "sub"), 0o2750);
  await chown(join(odd, "sub"), 42, 43);
  await utimes(join(odd, "sub", "deeper"), past, past);
  await utimes(join(odd, "sub"), past, past);
}

// writeBig writes n random bytes, so a misplaced block shows in the hash.
async function writeBig(path: string, n: number): Promise<void> {
  const out = createWriteStream(path);
  for (let left = n; left > 0; left -= 1 << 20) {
    if (!out.write(randomBytes(Math.min(1 << 20, left)))) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
  }
  out.end();
  await finished(out);
}

export interface EntryFacts {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtimeS: number;
  size: number;
  target?: string;
  sha256?: string;
  // hardGroup names the first path with the same inode.
  hardGroup?: string;
}

// describeTree lists every path under dir with what a copy must keep.
export async function describeTree(dir: string): Promise<Record<string, EntryFacts>> {
  const out: Record<string, EntryFacts> = {};
  const inodes = new Map<number, string>();
  async function visit(rel: string): Promise<void> {
    const path = join(dir, rel);
    const st = await lstat(path);
    const facts: EntryFacts = {
      type: st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : st.isFile() ? "file" : "other",
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      mtimeS: Math.floor(st.mtimeMs / 1000),
      size: st.isFile() ? st.size : 0,
    };
    if (st.isSymbolicLink()) facts.target = await readlink(path);
    if (st.isFile()) {
      facts.sha256 = await hashFile(path);
      if (st.nlink > 1) {
        facts.hardGroup = inodes.get(st.ino) ?? rel;
        inodes.set(st.ino, facts.hardGroup);
      }
    }
    out[rel] = facts;
    if (st.isDirectory()) for (const name of (await readdir(path)).sort()) await visit(rel === "" ? name : `${rel}/${name}`);
  }
  await visit("odd");
  return out;
}

export async function hashFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

// tarCreate is GNU tar's archive of dir's entry name, as a stream.
export function tarCreate(dir: string, name: string): Readable {
  const child = spawn("tar", ["--numeric-owner", "-C", dir, "-cf", "-", name], { stdio: ["ignore", "pipe", "inherit"] });
  return child.stdout;
}

// tarExtract unpacks a tar stream into dir with GNU tar, keeping owners
// and modes.
export async function tarExtract(dir: string, tar: AsyncIterable<Uint8Array>): Promise<void> {
  const child = spawn("tar", ["--numeric-owner", "--same-owner", "-p", "-C", dir, "-xf", "-"], { stdio: ["pipe", "inherit", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? -1)));
  await finished(Readable.from(tar).pipe(child.stdin));
  const code = await exited;
  if (code !== 0) throw new Error(`tar -x failed (${code}): ${stderr}`);
}

let execs = 0;

// run runs args in a running container and returns its exit code and output.
export async function run(client: Client, id: string, args: string[]): Promise<{ exitCode: number; out: string }> {
  const pid = `copy-exec-${++execs}`;
  await client.addProcess(id, pid, { args });
  const exit = await client.wait(id, { processId: pid });
  let out = "";
  for await (const line of client.logs(id, { processId: pid })) out += `${Buffer.from(line.line).toString()}${line.partial ? "" : "\n"}`;
  return { exitCode: exit.exitCode, out };
}
