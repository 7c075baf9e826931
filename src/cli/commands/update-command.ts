// berth update: change a running container's limits in place.
import { type Command } from "../command.js";
import { withClient } from "../connect-client.js";
import { RESOURCE_FLAGS, RESOURCE_FLAG_NAMES, resourcesOf } from "../resource-flags.js";
import { UsageError } from "../usage-error.js";

export const updateCommand: Command = {
  name: "update",
  summary: "change a running container's resource limits",
  usage: "[OPTIONS] ID",
  positionals: { min: 1, max: 1 },
  options: RESOURCE_FLAGS,
  async run(ctx) {
    const [id] = ctx.positionals as [string];
    const resources = resourcesOf(ctx);
    if (resources === undefined) throw new UsageError(`update needs at least one of ${RESOURCE_FLAG_NAMES}`);
    await withClient(ctx.globals, (client) => client.updateResources(id, resources));
    return 0;
  },
};
