// berth inspect: everything containers were made with, and their state,
// as a JSON array (docker inspect's shape, so `jq '.[0]'` reads one).
import { BerthError } from "../../errors/berth-error.js";
import { flag, type Command } from "../command.js";
import { withClient } from "../connect-client.js";
import { exitCodeOf } from "../exit-code.js";
import { inspectJson } from "../format-inspect.js";

export const inspectCommand: Command = {
  name: "inspect",
  summary: "show containers' configuration and state as JSON",
  usage: "[--size] ID...",
  positionals: { min: 1, max: Infinity },
  options: [{ name: "size", type: "boolean", help: "add sizeRwBytes, the size of the writable layer (walks its files: slower)" }],
  details:
    "Prints one array: per container, {container, config, sizeRwBytes}, in proto3 JSON (64-bit numbers as strings),\n" +
    "with the bundle's config.json as config.ociSpec. An unknown id is reported on stderr and left out.",
  async run(ctx) {
    const size = flag(ctx, "size");
    return withClient(ctx.globals, async (client) => {
      const found = [];
      let code = 0;
      for (const id of ctx.positionals) {
        try {
          found.push(inspectJson(await client.inspect(id, { size })));
        } catch (err) {
          ctx.stderr.write(`berth: ${BerthError.from(err).message}\n`);
          code = exitCodeOf(err);
        }
      }
      ctx.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
      return code;
    });
  },
};
