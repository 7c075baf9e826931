import { constants as zlibConstants, gunzipSync } from "node:zlib";

import { loadExeca } from "../runtime/lazy-execa.js";

import { BerthError } from "../errors/berth-error.js";
import { fileHead } from "./file-head.js";

const TAR_BLOCK = 512;
const GZIP = Buffer.from([0x1f, 0x8b]);
// Formats GNU tar decompresses by itself when it has the matching tool;
// their content is checked when tar reads them.
const OTHER_COMPRESSIONS = [
  Buffer.from("BZh"),
  Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), // xz
  Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), // zstd
];

// checkTarArchive throws INVALID_ARGUMENT unless path starts like a tar
// archive, plain or gzip-compressed: cheap, and it turns "you gave me the
// wrong file" into a clear message instead of tar's error halfway through.
export async function checkTarArchive(path: string): Promise<void> {
  const head = await fileHead(path, 64 * 1024);
  if (OTHER_COMPRESSIONS.some((magic) => startsWith(head, magic))) return;
  let header = head;
  if (startsWith(head, GZIP)) {
    try {
      // A sync flush decompresses what the truncated input holds, no more.
      header = gunzipSync(head, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch (err) {
      throw notATar(path, `its gzip data is corrupt (${(err as Error).message})`);
    }
  }
  if (header.length < TAR_BLOCK) throw notATar(path, "it is shorter than one tar header");
  // "ustar" at offset 257 marks both POSIX and GNU headers.
  if (header.subarray(257, 262).toString("latin1") !== "ustar") {
    throw notATar(path, "its first header has no ustar magic");
  }
}

// extractTar unpacks archive into dir (which must exist), keeping numeric
// owners, modes and special files as a root filesystem needs them.
export async function extractTar(archive: string, dir: string, extraArgs: string[] = []): Promise<void> {
  await runTar(["-x", "-f", archive, "-C", dir, "--numeric-owner", "--same-owner", "--same-permissions", ...extraArgs], archive);
}

async function runTar(args: string[], archive: string): Promise<string> {
  const result = await (await loadExeca())("tar", args, { stdin: "ignore", reject: false, maxBuffer: 512 * 1024 * 1024 });
  if (result.exitCode === 0) return result.stdout;
  if (result.exitCode === undefined) {
    throw new BerthError("unavailable", `cannot run tar (${result.shortMessage}): install it with \`apt-get install tar\``);
  }
  const stderr = result.stderr.trim();
  if (/unexpected eof|does not look like a tar|damaged|not recoverable|skipping to next header|invalid/i.test(stderr)) {
    throw notATar(archive, stderr);
  }
  throw new BerthError("internal", `tar failed on ${archive}: ${stderr || result.shortMessage}`);
}

function notATar(path: string, why: string): BerthError {
  return new BerthError(
    "invalid_argument",
    `${path} is not a usable tar archive (${why}): give a .tar or .tar.gz of a root filesystem, e.g. made with \`tar -C <rootfs> -czf image.tar.gz .\`, or an OCI image layout archive`,
  );
}

function startsWith(buffer: Buffer, prefix: Buffer): boolean {
  return buffer.length >= prefix.length && buffer.subarray(0, prefix.length).equals(prefix);
}
