// berth rm: delete stopped containers, or with -f running ones too; with
// --run, every container of a test-rig run (running or not).
import { flag, stringOption, type Command, type CommandContext } from "../command.js";
import { withClient } from "../connect-client.js";
import { forEachId } from "../for-each-id.js";
import { UsageError } from "../usage-error.js";
import { removeRun } from "../../rig/rig-run.js";

export const rmCommand: Command = {
  name: "rm",
  summary: "delete containers",
  usage: "[-f] ID... | --run RUN-ID",
  positionals: { min: 0, max: Infinity },
  options: [
    { name: "force", short: "f", type: "boolean", help: "kill a running container first" },
    { name: "run", type: "string", help: "delete every container of this test-rig run (label berth.rig.run), killing those that run" },
  ],
  details: "A test-rig run's id is its containers' berth.rig.run label (BERTH_RIG_RUN names it); its containers are removed however they are, as a crashed run's would be by the next run.",
  run: (ctx) => {
    const runId = stringOption(ctx, "run");
    if (runId === undefined) {
      if (ctx.positionals.length === 0) throw new UsageError("rm needs container ids, or --run RUN-ID");
      return forEachId(ctx, (client, id) => client.delete(id, { force: flag(ctx, "force") }));
    }
    if (ctx.positionals.length > 0) throw new UsageError("rm takes container ids or --run RUN-ID, not both");
    return removeRunCommand(ctx, runId);
  },
};

async function removeRunCommand(ctx: CommandContext, runId: string): Promise<number> {
  if (runId === "") throw new UsageError("--run needs a run id");
  return withClient(ctx.globals, async (client) => {
    for (const id of await removeRun(client, runId)) ctx.stdout.write(`${id}\n`);
    return 0;
  });
}
