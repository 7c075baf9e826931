// @ts-check
// The create-from-image row's section of the results page.

import { contenderTable } from "./contender-table.js";

/** @typedef {import("../suites/image.js").ImageResult} ImageResult */

/**
 * @param {ImageResult} r
 * @returns {string[]}
 */
export function imageMarkdown(r) {
  const lines = ["## Create from an image", ""];
  if (r.error !== undefined) return [...lines, `Not measured: ${r.error}.`];
  lines.push(`Create to running (\`sleep 3600\`) from ${r.image}. Milliseconds: median (min–max); ratios are medians of the per-repetition ratios, so > 1 means berth from the image is faster.`);
  lines.push("");
  lines.push(...contenderTable(r, "create to running"));
  lines.push("");
  lines.push("- **berth image**: ContainerService.Create with `image` (pull policy never) and `start`: the image found by name, its config applied, an overlay of its snapshot and the container's own writable layer mounted, runc and conmon started.");
  lines.push("- **berth folder**: the same Create with `rootfs.path` the shared folder (an overlay of the folder and the writable layer), as the latency row.");
  lines.push("- **containerd**: Snapshots.Prepare on the image's chain id, Containers.Create, Tasks.Create and Tasks.Start, as its latency row.");
  return lines;
}
