// forEachId applies one operation to several containers as docker does:
// each success prints the id, each failure prints its message and the rest
// still run; the exit code is that of the last failure, or 0.
import type { Client } from "../client/client.js";
import { BerthError } from "../errors/berth-error.js";
import type { CommandContext } from "./command.js";
import { withClient } from "./connect-client.js";
import { exitCodeOf } from "./exit-code.js";

export async function forEachId(ctx: CommandContext, operation: (client: Client, id: string) => Promise<unknown>): Promise<number> {
  return withClient(ctx.globals, async (client) => {
    let code = 0;
    for (const id of ctx.positionals) {
      try {
        await operation(client, id);
        ctx.stdout.write(`${id}\n`);
      } catch (err) {
        ctx.stderr.write(`berth: ${BerthError.from(err).message}\n`);
        code = exitCodeOf(err);
      }
    }
    return code;
  });
}
