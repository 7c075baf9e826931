// @ts-check
// contenderTable is the table of a row that times one operation on each
// contender (the pull row, the create-from-image row): each contender's
// median (min–max) in milliseconds, then each ratio, and below the table why
// a contender stopped.

/** @typedef {import("./stats.js").Summary} Summary */

/**
 * @typedef {object} ContenderRow
 * @property {Record<string, { summary: Summary | undefined }>} contenders
 * @property {Record<string, number | undefined>} ratios
 * @property {Record<string, string>} errors contender -> why it stopped
 */

/**
 * @param {ContenderRow} r
 * @param {string} operation the row's name in the table's first column
 * @returns {string[]}
 */
export function contenderTable(r, operation) {
  const names = Object.keys(r.contenders);
  const ratios = Object.keys(r.ratios).filter((k) => r.ratios[k] !== undefined);
  const lines = [`| operation | ${[...names, ...ratios].join(" | ")} |`, `|---|${[...names, ...ratios].map(() => "---:").join("|")}|`];
  const cells = names.map((name) => {
    const s = r.contenders[name]?.summary;
    if (s === undefined) return r.errors[name] !== undefined ? "failed" : "n/a";
    return `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;
  });
  lines.push(`| ${operation} | ${[...cells, ...ratios.map((k) => `${/** @type {number} */ (r.ratios[k]).toFixed(2)}×`)].join(" | ")} |`);
  for (const [name, err] of Object.entries(r.errors)) lines.push("", `${name}: ${err.replace(/\|/g, "\\|").replace(/\n/g, " ")}`);
  return lines;
}

/** @param {number} v */
function fmt(v) {
  return v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0);
}
