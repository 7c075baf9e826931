// berth info: the daemon and its host, as `docker info` shows them.
import { toJsonString } from "@bufbuild/protobuf";

import { HostInfoSchema } from "../../client/types.js";
import { Remote } from "../../remote/remote.js";
import { flag, type Command } from "../command.js";
import { withDaemonHint } from "../connect-client.js";
import { formatInfo } from "../format-info.js";

export const infoCommand: Command = {
  name: "info",
  summary: "show the daemon's containers, images, runtime and host",
  usage: "[--json]",
  positionals: { min: 0, max: 0 },
  options: [{ name: "json", type: "boolean", help: "print the InfoResponse message as proto3 JSON, zeros included (64-bit numbers as strings)" }],
  async run(ctx) {
    const remote = await Remote.connect({ socketPath: ctx.globals.socket });
    const info = await remote.info().catch((err: unknown) => {
      throw withDaemonHint(err);
    });
    if (flag(ctx, "json")) {
      // Zeros too: a script reading containersPaused should find 0, not
      // nothing, on a daemon with no paused container.
      ctx.stdout.write(`${toJsonString(HostInfoSchema, info, { alwaysEmitImplicit: true })}\n`);
      return 0;
    }
    ctx.stdout.write(formatInfo(info));
    // On stderr, as docker prints them, so stdout stays the report alone.
    for (const warning of info.warnings) ctx.stderr.write(`WARNING: ${warning}\n`);
    return 0;
  },
};
