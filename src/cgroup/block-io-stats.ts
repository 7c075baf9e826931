import { create } from "@bufbuild/protobuf";
import { Stats_BlockIoSchema, type Stats_BlockIo } from "../gen/berth/v1/types_pb.js";
import type { CgroupPaths } from "./cgroup-paths.js";
import { parseUint, type ValueSource } from "./cgroup-values.js";
import type { OpenFile } from "./kept-file.js";

type BlockIoCounts = Pick<Stats_BlockIo, "readBytes" | "writeBytes" | "readOps" | "writeOps">;

// openBlockIoStats opens the block io files of one cgroup and returns their
// reader: v1 blkio throttle counters when mounted, else the unified io.stat.
// The throttle files count every bio, with or without a limit set.
export function openBlockIoStats(paths: CgroupPaths, open: OpenFile): () => Stats_BlockIo {
  const blkio = paths.controllers["blkio"];
  if (blkio === undefined) {
    const ioStat = open(paths.unified, "io.stat");
    return () => create(Stats_BlockIoSchema, readIoStat(ioStat));
  }
  const bytes = open(blkio, "blkio.throttle.io_service_bytes");
  const ops = open(blkio, "blkio.throttle.io_serviced");
  return () => {
    const b = readBlkio(bytes);
    const o = readBlkio(ops);
    return create(Stats_BlockIoSchema, { readBytes: b.read, writeBytes: b.write, readOps: o.read, writeOps: o.write });
  };
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
