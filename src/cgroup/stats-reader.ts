import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { StatsSchema, Stats_PidsSchema, type Stats, type Stats_Pids } from "../gen/berth/v1/types_pb.js";
import { openBlockIoStats } from "./block-io-stats.js";
import type { CgroupPaths } from "./cgroup-paths.js";
import { readLimit, readUint } from "./cgroup-values.js";
import { openCpuStats } from "./cpu-stats.js";
import { KeptFile, type OpenFile } from "./kept-file.js";
import { openMemoryStats } from "./memory-stats.js";

// CgroupStatsReader reads one container's resource use from its cgroup
// files. It opens every file once, at construction, and each read() preads
// the kept descriptors, so a Stats RPC costs microseconds, not a millisecond.
// Each resource comes from its v1 controller when one is mounted (v1 and
// hybrid hosts), else from the unified hierarchy (v2 hosts). Files that this
// kernel or configuration lacks (memory.peak, memsw, pids in a root cgroup)
// read as zeros.
//
// The constructor throws failed_precondition when the cgroup is already gone,
// and read() throws it once the cgroup is removed (the container exited).
// Callers must close() the reader, or use `using`, to release the descriptors.
export class CgroupStatsReader implements Disposable {
  readonly #files: KeptFile[] = [];
  readonly #cpu: () => Stats["cpu"];
  readonly #memory: () => Stats["memory"];
  readonly #pids: () => Stats_Pids;
  readonly #blockIo: () => Stats["blockIo"];

  constructor(paths: CgroupPaths) {
    const open: OpenFile = (dir, name) => {
      const file = KeptFile.open(dir, name);
      if (file !== undefined) this.#files.push(file);
      return file;
    };
    try {
      this.#cpu = openCpuStats(paths, open);
      this.#memory = openMemoryStats(paths, open);
      this.#pids = openPidsStats(paths, open);
      this.#blockIo = openBlockIoStats(paths, open);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  // read returns the current counters, stamped with the time of the read.
  read(): Stats {
    return create(StatsSchema, {
      readAt: timestampFromDate(new Date()),
      cpu: this.#cpu(),
      memory: this.#memory(),
      pids: this.#pids(),
      blockIo: this.#blockIo(),
    });
  }

  // close releases the descriptors; it is idempotent.
  close(): void {
    for (const file of this.#files.splice(0)) file.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

// The pids files are named alike in v1 and v2.
function openPidsStats(paths: CgroupPaths, open: OpenFile): () => Stats_Pids {
  const dir = paths.controllers["pids"] ?? paths.unified;
  const current = open(dir, "pids.current");
  const max = open(dir, "pids.max");
  return () => create(Stats_PidsSchema, { current: readUint(current), limit: readLimit(max) });
}
