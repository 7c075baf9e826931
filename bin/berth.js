#!/usr/bin/env node
// berth's command line; the CLI itself is src/cli, compiled to dist/.
let cli;
try {
  cli = await import("../dist/cli/main.js");
} catch (err) {
  if (err?.code !== "ERR_MODULE_NOT_FOUND") throw err;
  process.stderr.write(`berth: the CLI is not built (${err.message}): run \`npm run build\` first\n`);
  process.exit(1);
}
process.exit(await cli.main(process.argv.slice(2)));
