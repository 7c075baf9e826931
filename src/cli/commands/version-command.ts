// berth version: the CLI's version, then the daemon's and its runtime's.
import { Remote, VERSION } from "../../remote/remote.js";
import type { Command } from "../command.js";
import { withDaemonHint } from "../connect-client.js";

export const versionCommand: Command = {
  name: "version",
  summary: "show the versions of berth, the daemon, runc and conmon",
  usage: "",
  positionals: { min: 0, max: 0 },
  options: [],
  async run(ctx) {
    ctx.stdout.write(`client   berth ${VERSION}\n`);
    const remote = await Remote.connect({ socketPath: ctx.globals.socket });
    const v = await remote.version().catch((err: unknown) => {
      throw withDaemonHint(err);
    });
    ctx.stdout.write(
      [
        `daemon   berth ${v.version} on ${ctx.globals.socket}`,
        `runtime  ${v.runtime} ${v.runtimeVersion}`,
        `monitor  conmon ${v.monitorVersion}`,
        `cgroup   ${v.cgroupMode}`,
      ].join("\n") + "\n",
    );
    return 0;
  },
};
