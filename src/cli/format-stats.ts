// formatStats prints a stats snapshot for a terminal, one resource a line.
import type { Stats } from "../client/types.js";
import { formatBytes } from "./parse-size.js";

const seconds = (ns: bigint | undefined) => `${(Number(ns ?? 0n) / 1e9).toFixed(3)}s`;
const limit = (value: bigint | undefined, show: (v: bigint) => string) =>
  value === undefined || value === 0n ? "unlimited" : show(value);

export function formatStats(stats: Stats): string {
  const { cpu, memory, pids, blockIo } = stats;
  return [
    `CPU        ${seconds(cpu?.usageNs)} (user ${seconds(cpu?.userNs)}, system ${seconds(cpu?.systemNs)})` +
      (cpu?.limitCpus ? `, limit ${cpu.limitCpus} CPUs` : ""),
    `MEMORY     ${formatBytes(memory?.usageBytes ?? 0n)} / ${limit(memory?.limitBytes, formatBytes)}` +
      (memory?.reservationBytes ? `, reservation ${formatBytes(memory.reservationBytes)}` : "") +
      (memory?.oomKills ? ` (${memory.oomKills} oom kills)` : ""),
    `PIDS       ${pids?.current ?? 0n} / ${limit(pids?.limit, String)}`,
    `BLOCK I/O  ${formatBytes(blockIo?.readBytes ?? 0n)} read, ${formatBytes(blockIo?.writeBytes ?? 0n)} written` +
      (blockIo?.weight ? `, weight ${blockIo.weight}` : ""),
  ].join("\n") + "\n";
}
