#!/usr/bin/env node
// berth's command line; the CLI itself is src/cli, compiled to dist/.
//
// A daemon (berth serve) trades V8's throughput-sized defaults for memory,
// before any module is loaded: its live data is small and its garbage
// short-lived, but V8 otherwise grows 16 MiB semi-spaces and optimizes
// eagerly, and an idle daemon holds all of that. Measured (Node 20, idle
// berth serve): 115 MiB RSS by default, 86 MiB with these; see
// bench/README.md. BERTH_V8_DEFAULTS=1 keeps V8's own. Any argument
// "serve" counts: for another command it only means a smaller heap.
if (process.argv.slice(2).includes("serve") && process.env.BERTH_V8_DEFAULTS !== "1") {
  const v8 = await import("node:v8");
  v8.setFlagsFromString("--max-semi-space-size=1");
  v8.setFlagsFromString("--optimize-for-size");
}
let cli;
try {
  cli = await import("../dist/cli/main.js");
} catch (err) {
  if (err?.code !== "ERR_MODULE_NOT_FOUND") throw err;
  process.stderr.write(`berth: the CLI is not built (${err.message}): run \`npm run build\` first\n`);
  process.exit(1);
}
process.exit(await cli.main(process.argv.slice(2)));
