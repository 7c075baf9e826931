// @ts-check
// evaluateTargets checks berth against the targets of issues 5 and 15,
// from the same run's medians and pair-by-pair ratios.
import { fmtMiB, fmtRatio } from "./report.js";
import { pairedRatio } from "./stats.js";

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
 * @returns {Target[]}
 */
export function evaluateTargets(rows, memory, events, pull, image) {
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
  ratioTargets("run to exit", byKey("runToExit"), 1.4, 2);
  ratioTargets("create to running", byKey("createRunning"), 1.4, 2);
  ratioTargets("exec", byKey("exec"), 1.3, 1);
  const floor = byKey("stats", 0)?.systems["berth"]?.samples;
  const stats = byKey("stats", 1)?.systems["berth"]?.samples;
  const statsOverFloor = stats !== undefined && floor !== undefined ? pairedRatio(stats, floor) : undefined;
  out.push({ target: "stats: berth stats / berth's RPC floor ≤ 1.5", measured: fmtRatio(statsOverFloor), met: statsOverFloor === undefined ? undefined : statsOverFloor <= 1.5 });
  ratioTargets("stats", byKey("stats", 1), undefined, 4);
  ratioTargets("pause", byKey("pauseResume", 0), 1, 2);
  ratioTargets("resume", byKey("pauseResume", 1), 1, 2);
  ratioTargets("update memory limit", byKey("update"), 1, 2);
  ratioTargets("start 50, 8 in flight", byKey("batch", 0), 1.4, 2.5);
  const bm = memory["berth"];
  const cm = memory["containerd"];
  const share = bm?.perContainerBytes !== undefined && cm?.perContainerBytes !== undefined && cm.perContainerBytes > 0 ? bm.perContainerBytes / cm.perContainerBytes : undefined;
  out.push({ target: "per-container memory: berth ≤ ¼ of containerd's", measured: share === undefined ? "–" : `${(share * 100).toFixed(0)}% of containerd's`, met: share === undefined ? undefined : share <= 0.25 });
  const idle = bm?.daemonRssIdleBytes;
  out.push({ target: "berth daemon RSS idle ≤ 60 MiB", measured: fmtMiB(idle), met: idle === undefined ? undefined : idle <= 60 * MIB });
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

