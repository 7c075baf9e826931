// @ts-check
// evaluateTargets checks berth against the targets of issues 5 and 15,
// from the same run's medians and pair-by-pair ratios.
import { fmtMiB, fmtRatio } from "./report.js";
import { pairedRatio } from "./stats.js";
import { LEAK_TOLERANCE_BYTES, leakGrowth } from "../suites/leak.js";

/** @typedef {import("./report.js").MetricRow} MetricRow */
/** @typedef {import("./report.js").Target} Target */
/** @typedef {import("../suites/memory.js").MemoryResult} MemoryResult */
/** @typedef {import("../suites/events.js").EventsResult} EventsResult */

const MIB = 1024 * 1024;
export const BRIDGE_TARGET = "bridge network + published port";
export const IMAGE_TARGET = "create from an image";

/**
 * @param {MetricRow[]} rows
 * @param {Record<string, MemoryResult>} memory
 * @param {Record<string, EventsResult | { error: string }>} events
 * @param {import("../suites/pull.js").PullResult} [pull]
 * @param {import("../suites/image.js").ImageResult} [image]
 * @param {import("../suites/leak.js").LeakResult} [leak]
 * @returns {Target[]}
 */
export function evaluateTargets(rows, memory, events, pull, image, leak) {
  /** @type {Target[]} */
  const out = [];
  const byKey = (/** @type {string} */ key, /** @type {number} */ i = 0) => rows.filter((r) => r.operation === key)[i];
  /**
   * @param {string} label
   * @param {MetricRow | undefined} row
   * @param {number | undefined} maxOverRunc berth/runc must be at most this
   * @param {number | undefined} minContainerdOverBerth containerd/berth must be at least this
   */
  const ratioTargets = (label, row, maxOverRunc, minContainerdOverBerth) => {
    if (maxOverRunc !== undefined) {
      const r = row?.ratios["berth/runc"];
      out.push({ target: `${label}: berth/runc ≤ ${maxOverRunc}`, measured: fmtRatio(r), met: r === undefined ? undefined : r <= maxOverRunc });
    }
    if (minContainerdOverBerth !== undefined) {
      const r = row?.ratios["containerd/berth"];
      const strict = minContainerdOverBerth === 1;
      out.push({
        target: `${label}: containerd/berth ${strict ? ">" : "≥"} ${minContainerdOverBerth}`,
        measured: fmtRatio(r),
        met: r === undefined ? undefined : strict ? r > 1 : r >= minContainerdOverBerth,
      });
    }
  };
  // Issue 15's bars where it set one (issue 5's otherwise).
  ratioTargets("run to exit", byKey("runToExit"), 1.25, 1.5);
  ratioTargets("create to running", byKey("createRunning"), 1.25, 1.5);
  ratioTargets("exec", byKey("exec"), 1.3, 1.4);
  // The empty unary RPC within 1.2x of containerd's: containerd/berth ≥ 1/1.2.
  const rpc = byKey("stats", 0)?.ratios["containerd/berth"];
  out.push({ target: "rpc floor: berth ≤ 1.2× containerd's (containerd/berth ≥ 0.83)", measured: fmtRatio(rpc), met: rpc === undefined ? undefined : rpc >= 1 / 1.2 });
  const floor = byKey("stats", 0)?.systems["berth"]?.samples;
  const stats = byKey("stats", 1)?.systems["berth"]?.samples;
  const statsOverFloor = stats !== undefined && floor !== undefined ? pairedRatio(stats, floor) : undefined;
  out.push({ target: "stats: berth stats / berth's RPC floor ≤ 1.5", measured: fmtRatio(statsOverFloor), met: statsOverFloor === undefined ? undefined : statsOverFloor <= 1.5 });
  ratioTargets("stats", byKey("stats", 1), undefined, 4);
  ratioTargets("pause", byKey("pauseResume", 0), 1, 2);
  ratioTargets("resume", byKey("pauseResume", 1), 1, 2);
  ratioTargets("update memory limit", byKey("update"), 1, 2);
  ratioTargets("start 50, 8 in flight", byKey("batch", 0), 1.4, 1.5);
  ratioTargets("delete 50, 8 in flight", byKey("batch", 1), 1.4, 1.5);
  const bm = memory["berth"];
  const cm = memory["containerd"];
  const share = bm?.perContainerBytes !== undefined && cm?.perContainerBytes !== undefined && cm.perContainerBytes > 0 ? bm.perContainerBytes / cm.perContainerBytes : undefined;
  out.push({ target: "per-container memory: berth ≤ ¼ of containerd's", measured: share === undefined ? "–" : `${(share * 100).toFixed(0)}% of containerd's`, met: share === undefined ? undefined : share <= 0.25 });
  const idle = bm?.daemonRssIdleBytes;
  out.push({ target: "berth daemon RSS idle ≤ 55 MiB", measured: fmtMiB(idle), met: idle === undefined ? undefined : idle <= 55 * MIB });
  const with50 = bm?.daemonRssWith50Bytes;
  out.push({ target: "berth daemon RSS with 50 running ≤ 75 MiB", measured: fmtMiB(with50), met: with50 === undefined ? undefined : with50 <= 75 * MIB });
  const per = bm?.perContainerBytes;
  out.push({ target: "berth per-container cost ≤ 0.4 MiB", measured: fmtMiB(per), met: per === undefined ? undefined : per <= 0.4 * MIB });
  if (leak !== undefined) {
    const growth = leakGrowth(leak);
    out.push({
      target: `leak check: ${leak.creates} created and deleted + ${leak.execs} execs leave the daemon's RSS where it started (within ${LEAK_TOLERANCE_BYTES / MIB} MiB)`,
      measured: growth === undefined ? (leak.error ?? "–") : `${growth >= 0 ? "+" : ""}${(growth / MIB).toFixed(1)} MiB`,
      met: growth === undefined ? undefined : growth <= LEAK_TOLERANCE_BYTES,
    });
  }
  const be = events["berth"];
  const eps = be !== undefined && "eventsPerSecond" in be ? be.eventsPerSecond : undefined;
  out.push({ target: "events: ≥ 100k/s delivered across 100 subscribers", measured: eps === undefined ? "–" : `${Math.round(eps).toLocaleString("en-US")}/s`, met: eps === undefined ? undefined : eps >= 100_000 });
  out.push(fasterThanPodman(rows));
  const bridge = byKey("bridgeCreateRunning");
  if (bridge !== undefined) {
    for (const other of ["containerd", "podman"]) {
      const r = bridge.ratios[`${other}/berth`];
      out.push({ target: `${BRIDGE_TARGET}, create to running: no slower than ${other} (${other}/berth ≥ 1)`, measured: fmtRatio(r), met: r === undefined ? undefined : r >= 1 });
    }
  }
  if (pull !== undefined) {
    const r = pull.ratios["containerd/berth"];
    out.push({ target: "pull of a multi-layer image: no slower than containerd (containerd/berth ≥ 1)", measured: fmtRatio(r), met: r === undefined ? undefined : r >= 1 });
  }
  if (image !== undefined) {
    // Within 10 %: image / folder ≤ 1.1, so folder / image ≥ 1 / 1.1.
    const r = image.ratios["berth folder/berth image"];
    out.push({ target: `${IMAGE_TARGET} within 10 % of create from a folder (berth folder/berth image ≥ 0.91)`, measured: fmtRatio(r), met: r === undefined ? undefined : r >= 1 / 1.1 });
  }
  return out;
}

/**
 * fasterThanPodman is issue 15's "berth faster than Podman on every row":
 * podman/berth > 1 on every latency row both measured.
 * @param {MetricRow[]} rows
 * @returns {Target}
 */
function fasterThanPodman(rows) {
  const target = "berth faster than Podman on every row: podman/berth > 1";
  const both = rows.filter((r) => r.ratios["podman/berth"] !== undefined);
  if (both.length === 0) return { target, measured: "–", met: undefined };
  const slower = both.filter((r) => /** @type {number} */ (r.ratios["podman/berth"]) <= 1);
  const measured =
    slower.length === 0
      ? `faster on all ${both.length} rows`
      : `slower on ${slower.length} of ${both.length}: ${slower.map((r) => `${r.metric} ${fmtRatio(r.ratios["podman/berth"])}`).join(", ")}`;
  return { target, measured, met: slower.length === 0 };
}

