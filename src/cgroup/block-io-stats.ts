import { create } from "@bufbuild/protobuf";
import { Stats_BlockIoSchema, type Stats_BlockIo } from "../gen/berth/v1/types_pb.js";
import { V1_WEIGHT_FILES, V2_WEIGHT_FILES, fromIoWeight } from "../spec/block-io-weight.js";
import type { CgroupPaths } from "./cgroup-paths.js";
import { parseUint, type ValueSource } from "./cgroup-values.js";
import type { KeptFile, OpenFile } from "./kept-file.js";

type BlockIoCounts = Pick<Stats_BlockIo, "readBytes" | "writeBytes" | "readOps" | "writeOps">;

// openBlockIoStats opens the block io files of one cgroup and returns their
// reader: v1 blkio throttle counters and weight when mounted, else the
// unified io.stat and io weight. The throttle files count every bio, with
// or without a limit set.
export function openBlockIoStats(paths: CgroupPaths, open: OpenFile): () => Stats_BlockIo {
  const blkio = paths.controllers["blkio"];
  if (blkio === undefined) {
    const ioStat = open(paths.unified, "io.stat");
    const weight = openFirst(open, paths.unified, V2_WEIGHT_FILES);
    const scale = weight?.path.endsWith("/io.weight") === true ? fromIoWeight : (w: number) => w;
    return () => create(Stats_BlockIoSchema, { ...readIoStat(ioStat), weight: weight === undefined ? 0 : scale(parseWeight(weight.read(), weight.path)) });
  }
  const bytes = open(blkio, "blkio.throttle.io_service_bytes");
  const ops = open(blkio, "blkio.throttle.io_serviced");
  const weight = openFirst(open, blkio, V1_WEIGHT_FILES);
  return () => {
    const b = readBlkio(bytes);
    const o = readBlkio(ops);
    return create(Stats_BlockIoSchema, {
      readBytes: b.read,
      writeBytes: b.write,
      readOps: o.read,
      writeOps: o.write,
      weight: weight === undefined ? 0 : parseWeight(weight.read(), weight.path),
    });
  };
}

// openFirst opens the first of files that dir has: the weight file runc
// wrote, picked in runc's order. A kernel with none reads weight 0.
function openFirst(open: OpenFile, dir: string | undefined, files: readonly string[]): KeptFile | undefined {
  for (const file of files) {
    const kept = open(dir, file);
    if (kept !== undefined) return kept;
  }
  return undefined;
}

// parseWeight reads a weight file: a bare number (blkio.weight, the v1
// bfq file) or a "default N" line followed by per-device lines (io.weight,
// io.bfq.weight). The kernel's default counts as the weight: the cgroup
// cannot tell a default from a weight set to the same value.
export function parseWeight(text: string, what: string): number {
  const first = text.split("\n", 1)[0]!.trim();
  return Number(parseUint(first.startsWith("default ") ? first.slice("default ".length) : first, what));
}

function readBlkio(file: ValueSource): { read: bigint; write: bigint } {
  return file === undefined ? { read: 0n, write: 0n } : parseBlkio(file.read(), file.path);
}

function readIoStat(file: ValueSource): BlockIoCounts {
  const zero = { readBytes: 0n, writeBytes: 0n, readOps: 0n, writeOps: 0n };
  return file === undefined ? zero : parseIoStat(file.read(), file.path);
}

// parseBlkio sums the Read and Write lines of a v1 blkio file over all
// devices ("8:0 Read 4096"). Per-device "Total" lines and the closing
// "Total N" line repeat those sums and are skipped.
export function parseBlkio(text: string, what: string): { read: bigint; write: bigint } {
  let read = 0n;
  let write = 0n;
  for (const line of text.split("\n")) {
    const [, op, value] = line.split(" ");
    if (op === "Read") read += parseUint(value ?? "", what);
    else if (op === "Write") write += parseUint(value ?? "", what);
  }
  return { read, write };
}

// A Map, not an object literal, so that a key such as "constructor" misses.
const IO_STAT_KEYS = new Map<string, keyof BlockIoCounts>([
  ["rbytes", "readBytes"],
  ["wbytes", "writeBytes"],
  ["rios", "readOps"],
  ["wios", "writeOps"],
]);

// parseIoStat sums a v2 io.stat over all devices
// ("8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0").
export function parseIoStat(text: string, what: string): BlockIoCounts {
  const sums = { readBytes: 0n, writeBytes: 0n, readOps: 0n, writeOps: 0n };
  for (const line of text.split("\n")) {
    for (const pair of line.split(" ").slice(1)) {
      const eq = pair.indexOf("=");
      const field = IO_STAT_KEYS.get(pair.slice(0, eq));
      if (field !== undefined) sums[field] += parseUint(pair.slice(eq + 1), what);
    }
  }
  return sums;
}
