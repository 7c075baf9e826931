// @ts-check
// Summaries of timed repetitions: min, median and max per system, and ratios
// computed pair by pair (the median of rep-by-rep ratios, so that drift over
// the run, which touches both systems of a rep alike, cancels out).

/**
 * @typedef {object} Summary
 * @property {number} n
 * @property {number} min
 * @property {number} median
 * @property {number} max
 */

/**
 * median of a non-empty list.
 * @param {readonly number[]} values
 * @returns {number}
 */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? /** @type {number} */ (sorted[mid]) : (/** @type {number} */ (sorted[mid - 1]) + /** @type {number} */ (sorted[mid])) / 2;
}

/**
 * summarize returns min, median and max, or undefined for no samples.
 * @param {readonly number[]} samples
 * @returns {Summary | undefined}
 */
export function summarize(samples) {
  if (samples.length === 0) return undefined;
  return { n: samples.length, min: Math.min(...samples), median: median(samples), max: Math.max(...samples) };
}

/**
 * pairedRatio returns the median of numerator[i] / denominator[i] over the
 * repetitions both systems completed, or undefined when there is none.
 * @param {readonly (number | undefined)[]} numerator
 * @param {readonly (number | undefined)[]} denominator
 * @returns {number | undefined}
 */
export function pairedRatio(numerator, denominator) {
  /** @type {number[]} */
  const ratios = [];
  for (let i = 0; i < Math.min(numerator.length, denominator.length); i++) {
    const a = numerator[i];
    const b = denominator[i];
    if (a !== undefined && b !== undefined && b > 0) ratios.push(a / b);
  }
  return ratios.length === 0 ? undefined : median(ratios);
}
