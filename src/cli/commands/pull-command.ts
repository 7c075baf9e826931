// berth pull: fetch an image from its registry into the daemon's store,
// showing each layer's progress, then its digest. ^C cancels the pull,
// which leaves nothing behind.
import { stringOption, flag, type Command } from "../command.js";
import { withClient } from "../connect-client.js";
import { interruptSignal } from "../interrupt-signal.js";
import { PullDisplay } from "../pull-display.js";

export const pullCommand: Command = {
  name: "pull",
  summary: "pull an image from a registry",
  usage: "[--platform OS/ARCH[/VARIANT]] [-q] REFERENCE",
  positionals: { min: 1, max: 1 },
  options: [
    { name: "platform", type: "string", value: "OS/ARCH", help: "the platform to pick from a multi-platform image (default: this host's)" },
    { name: "quiet", short: "q", type: "boolean", help: "print only the pulled reference" },
  ],
  details: "REFERENCE is as Docker reads it: busybox is docker.io/library/busybox:latest.",
  async run(ctx) {
    const [reference] = ctx.positionals as [string];
    const platform = stringOption(ctx, "platform");
    const quiet = flag(ctx, "quiet");
    const display = new PullDisplay(ctx.stderr as NodeJS.WritableStream & { isTTY?: boolean });
    const interrupt = interruptSignal();
    try {
      const image = await withClient(ctx.globals, (client) =>
        client.pull(reference, {
          ...(platform !== undefined && { platform }),
          signal: interrupt.signal,
          ...(!quiet && { onProgress: (p) => display.update(p) }),
        }),
      );
      if (!quiet) ctx.stdout.write(`Digest: ${image.digest}\nStatus: pulled ${image.reference} (${image.platform})\n`);
      ctx.stdout.write(`${image.reference}\n`);
      return 0;
    } finally {
      interrupt.dispose();
    }
  },
};
