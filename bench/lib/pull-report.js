// @ts-check
// The pull row's section of the results page.

import { contenderTable } from "./contender-table.js";

/** @typedef {import("../suites/pull.js").PullResult} PullResult */

/**
 * @param {PullResult} p
 * @returns {string[]}
 */
export function pullMarkdown(p) {
  const lines = ["## Pull", ""];
  if (p.error !== undefined) return [...lines, `Not measured: ${p.error}.`];
  lines.push(`One image per timed pull, none sharing a blob with another: ${p.image}; ${p.imageBytes === undefined ? "?" : `${(p.imageBytes / 1024 / 1024).toFixed(1)} MiB`} compressed; from ${p.registry}. Milliseconds: median (min–max); ratios are medians of the per-repetition ratios, so > 1 means berth is faster.`);
  lines.push("");
  lines.push(...contenderTable(p, "pull (fetch + unpack)"));
  lines.push("");
  lines.push("- **berth**: ImageService.Pull over gRPC to its end: manifest, config, layers (3 at a time, each digest checked as it streams), each layer unpacked by GNU tar into its snapshot, the image recorded.");
  lines.push("- **containerd**: `ctr images pull --plain-http --snapshotter overlayfs` against the bench's containerd: ctr resolves and fetches into containerd's content store and unpacks into overlayfs snapshots; the ctr process's start is in its time.");
  lines.push("- **skopeo+umoci**: `skopeo copy docker://… oci:DIR:latest` then `umoci unpack --image DIR:latest BUNDLE` (a rootfs and config.json); two processes, no daemon.");
  return lines;
}
