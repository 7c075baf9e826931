// @ts-check
// The create-from-image row's section of the results page.

/** @typedef {import("../suites/image.js").ImageResult} ImageResult */

/**
 * @param {ImageResult} r
 * @returns {string[]}
 */
export function imageMarkdown(r) {
  const lines = ["## Create from an image", ""];
  if (r.error !== undefined) return [...lines, `Not measured: ${r.error}.`];
  const names = Object.keys(r.contenders);
  const ratios = Object.keys(r.ratios).filter((k) => r.ratios[k] !== undefined);
  lines.push(`Create to running (\`sleep 3600\`) from ${r.image}. Milliseconds: median (min–max); ratios are medians of the per-repetition ratios, so > 1 means berth from the image is faster.`);
  lines.push("");
  lines.push(`| operation | ${[...names, ...ratios].join(" | ")} |`);
  lines.push(`|---|${[...names, ...ratios].map(() => "---:").join("|")}|`);
  const cells = names.map((name) => {
    const s = r.contenders[name]?.summary;
    if (s === undefined) return r.errors[name] !== undefined ? "failed" : "n/a";
    return `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;
  });
  lines.push(`| create to running | ${[...cells, ...ratios.map((k) => `${/** @type {number} */ (r.ratios[k]).toFixed(2)}×`)].join(" | ")} |`);
  for (const [name, err] of Object.entries(r.errors)) lines.push("", `${name}: ${err.replace(/\|/g, "\\|").replace(/\n/g, " ")}`);
  lines.push("");
  lines.push("- **berth image**: ContainerService.Create with `image` (pull policy never) and `start`: the image found by name, its config applied, an overlay of its snapshot and the container's own writable layer mounted, runc and conmon started.");
  lines.push("- **berth folder**: the same Create with `rootfs.path` the shared folder (an overlay of the folder and the writable layer), as the latency row.");
  lines.push("- **containerd**: Snapshots.Prepare on the image's chain id, Containers.Create, Tasks.Create and Tasks.Start, as its latency row.");
  return lines;
}

/** @param {number} v */
function fmt(v) {
  return v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0);
}
