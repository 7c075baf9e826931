// The image commands' work, shared by `berth image SUB` and its short
// forms (images, tag, rmi, load, save), written the way docker prints them.
import { createReadStream, createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

import { toJson } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";

import type { Client } from "../client/client.js";
import { ImageSchema } from "../client/types.js";
import { BerthError } from "../errors/berth-error.js";
import { flag, stringOption, type CommandContext } from "./command.js";
import { exitCodeOf } from "./exit-code.js";
import { formatAge } from "./format-age.js";
import { formatTable } from "./format-table.js";
import { interruptSignal } from "./interrupt-signal.js";
import { formatBytes } from "./parse-size.js";
import { UsageError } from "./usage-error.js";

const shortId = (id: string) => id.replace(/^sha256:/, "").slice(0, 12);

// listImages prints one row per name (an image without one shows <none>).
export async function listImages(ctx: CommandContext, client: Client): Promise<number> {
  const images = await client.listImages({ dangling: flag(ctx, "dangling") });
  if (flag(ctx, "quiet")) {
    ctx.stdout.write([...new Set(images.map((i) => shortId(i.id)))].map((id) => `${id}\n`).join(""));
    return 0;
  }
  const rows = images.flatMap((i) => {
    const created = i.created === undefined ? "" : formatAge(timestampDate(i.created));
    const cells = (repo: string, tag: string) => [repo, tag, shortId(i.id), created, formatBytes(i.size)];
    if (i.repoTags.length === 0) return [cells("<none>", "<none>")];
    return i.repoTags.map((t) => {
      const at = t.lastIndexOf(":");
      return cells(t.slice(0, at), t.slice(at + 1));
    });
  });
  ctx.stdout.write(formatTable(["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"], rows));
  return 0;
}

export async function inspectImages(ctx: CommandContext, client: Client, names: string[]): Promise<number> {
  const found: unknown[] = [];
  let code = 0;
  for (const name of names) {
    try {
      found.push(toJson(ImageSchema, await client.inspectImage(name)));
    } catch (err) {
      ctx.stderr.write(`berth: ${BerthError.from(err).message}\n`);
      code = exitCodeOf(err);
    }
  }
  ctx.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
  return code;
}

export async function tagImage(client: Client, names: string[]): Promise<number> {
  if (names.length !== 2) throw new UsageError("tag needs SOURCE and TARGET: berth tag busybox:latest registry.example.com/busybox:1");
  await client.tagImage(names[0]!, names[1]!);
  return 0;
}

// removeImages removes each image in turn: every failure is reported and
// the rest still go, as docker rmi does.
export async function removeImages(ctx: CommandContext, client: Client, names: string[]): Promise<number> {
  let code = 0;
  for (const name of names) {
    try {
      const { untagged, deleted } = await client.removeImage(name, { force: flag(ctx, "force") });
      ctx.stdout.write([...untagged.map((t) => `Untagged: ${t}\n`), ...deleted.map((d) => `Deleted: ${d}\n`)].join(""));
    } catch (err) {
      ctx.stderr.write(`berth: ${BerthError.from(err).message}\n`);
      code = exitCodeOf(err);
    }
  }
  return code;
}

export async function pruneImages(ctx: CommandContext, client: Client): Promise<number> {
  const { untagged, deleted, reclaimedBytes } = await client.pruneImages({ all: flag(ctx, "all") });
  const lines = [...untagged.map((t) => `untagged: ${t}\n`), ...deleted.map((d) => `deleted: ${d}\n`)];
  ctx.stdout.write(`${lines.length > 0 ? `Deleted Images:\n${lines.join("")}\n` : ""}Total reclaimed space: ${formatBytes(reclaimedBytes)}\n`);
  return 0;
}

// loadImages reads the archive from -i FILE, or from stdin.
export async function loadImages(ctx: CommandContext, client: Client): Promise<number> {
  const input = stringOption(ctx, "input");
  if (input === undefined && process.stdin.isTTY === true) throw new UsageError("load reads an archive: give -i FILE, or pipe one to stdin");
  const interrupt = interruptSignal();
  try {
    const source: Readable = input === undefined ? process.stdin : createReadStream(input);
    const images = await client.loadImages(source, { signal: interrupt.signal });
    for (const image of images) {
      ctx.stdout.write(image.repoTags.length === 0 ? `Loaded image ID: ${image.id}\n` : image.repoTags.map((t) => `Loaded image: ${t}\n`).join(""));
    }
    return 0;
  } finally {
    interrupt.dispose();
  }
}

// saveImages writes the archive to -o FILE, or to stdout when that is not
// a terminal.
export async function saveImages(ctx: CommandContext, client: Client, names: string[]): Promise<number> {
  if (names.length === 0) throw new UsageError("save needs at least one image");
  const output = stringOption(ctx, "output");
  const toStdout = output === undefined;
  if (toStdout && (ctx.stdout as { isTTY?: boolean }).isTTY === true) throw new UsageError("save writes an archive: give -o FILE, or redirect stdout");
  const interrupt = interruptSignal();
  try {
    const archive = Readable.from(client.saveImages(names, { signal: interrupt.signal }), { objectMode: false });
    await pipeline(archive, toStdout ? ctx.stdout : createWriteStream(output, { mode: 0o644 }), { end: !toStdout });
    // An interrupted save ends its stream early: no half archive stays.
    if (interrupt.signal.aborted) {
      if (!toStdout) await rm(output, { force: true });
      throw new BerthError("canceled", "the save was interrupted; nothing was kept");
    }
    return 0;
  } finally {
    interrupt.dispose();
  }
}
