// summarizeProcesses describes the processes in a container from /proc, as
// `ps` would: pid, parent, state and command line. No process is spawned.
import { readFile } from "node:fs/promises";

import { create } from "@bufbuild/protobuf";

import { ProcessSummarySchema, type ProcessSummary } from "../gen/berth/v1/types_pb.js";

export async function summarizeProcesses(pids: number[], processIdOf: (pid: number) => string): Promise<ProcessSummary[]> {
  const out = await Promise.all(pids.map((pid) => summarize(pid, processIdOf(pid))));
  return out.filter((s): s is ProcessSummary => s !== undefined);
}

async function summarize(pid: number, processId: string): Promise<ProcessSummary | undefined> {
  try {
    const [stat, cmdline] = await Promise.all([
      readFile(`/proc/${pid}/stat`, "utf8"),
      readFile(`/proc/${pid}/cmdline`),
    ]);
    // comm may hold spaces and parentheses: the fields after it start after
    // the last ')'.
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const fields = stat.slice(close + 2).split(" ");
    const args = cmdline.toString("utf8").split("\0").filter((a) => a !== "");
    return create(ProcessSummarySchema, {
      pid,
      ppid: Number(fields[1]),
      state: fields[0] ?? "",
      command: args.length > 0 ? args.join(" ") : `[${comm}]`,
      processId,
    });
  } catch {
    // The process ended between listing and reading: it is no longer there.
    return undefined;
  }
}
