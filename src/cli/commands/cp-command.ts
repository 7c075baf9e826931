// berth cp: files between the host and a container, as docker cp.
//   berth cp SRC ID:DEST    a host path (or - for a tar on stdin) into the container
//   berth cp ID:SRC DEST    a path of the container to the host (or - for a tar on stdout)
// A DEST that is an existing folder receives SRC under its own name; any
// other DEST is SRC's new name. SRC ending in "/." copies a folder's content.
import { mkdir, stat } from "node:fs/promises";
import { basename, dirname } from "node:path";

import type { Client } from "../../client/client.js";
import { extractToHost, packHostPath } from "../../copy/host-copy.js";
import { BerthError, invalidArgument, isBerthError } from "../../errors/berth-error.js";
import { PathType } from "../../gen/berth/v1/copy_pb.js";
import { flag, type Command, type CommandContext } from "../command.js";
import { withClient } from "../connect-client.js";
import { interruptSignal } from "../interrupt-signal.js";

interface ContainerPath {
  id: string;
  path: string;
}

// containerPathOf reads ID:PATH; a host path may hold ':' only after a '/'.
function containerPathOf(arg: string): ContainerPath | undefined {
  const colon = arg.indexOf(":");
  if (colon <= 0 || arg.slice(0, colon).includes("/")) return undefined;
  return { id: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

export const cpCommand: Command = {
  name: "cp",
  summary: "copy files between a container and the host",
  usage: "[-a] SRC ID:DEST | ID:SRC DEST",
  positionals: { min: 2, max: 2 },
  options: [{ name: "archive", short: "a", type: "boolean", help: "keep owners (uid, gid); otherwise files copied in belong to root" }],
  details: "SRC or DEST may be - for a tar archive on stdin or stdout. A container path is absolute.",
  async run(ctx) {
    const [src, dest] = ctx.positionals as [string, string];
    const from = containerPathOf(src);
    const to = containerPathOf(dest);
    if ((from === undefined) === (to === undefined)) throw invalidArgument("cp copies between the host and a container: give exactly one of SRC and DEST as ID:PATH");
    const interrupt = interruptSignal();
    try {
      return await withClient(ctx.globals, (client) => (to !== undefined ? copyIn(ctx, client, src, to, interrupt.signal) : copyOut(ctx, client, from!, dest, interrupt.signal)));
    } finally {
      interrupt.dispose();
    }
  },
};

async function copyIn(ctx: CommandContext, client: Client, src: string, to: ContainerPath, signal: AbortSignal): Promise<number> {
  if (src === "-") {
    await client.copyTo(to.id, to.path, process.stdin, { signal });
    return 0;
  }
  // An existing folder takes SRC under its name; otherwise DEST names it.
  const existing = await client.copyFrom(to.id, to.path, { statOnly: true }).then(
    (r) => r.stat,
    (err: unknown) => {
      if (isBerthError(err, "not_found") && !to.path.endsWith("/")) return undefined;
      throw err;
    },
  );
  const intoFolder = existing?.type === PathType.DIRECTORY;
  const destDir = intoFolder ? to.path : posixDirname(to.path);
  const name = intoFolder || src.endsWith("/.") ? undefined : basename(to.path);
  const owner = flag(ctx, "archive") ? undefined : { uid: 0, gid: 0 };
  await client.copyTo(to.id, destDir, packHostPath(src, { name, owner, signal }), { signal });
  return 0;
}

async function copyOut(ctx: CommandContext, client: Client, from: ContainerPath, dest: string, signal: AbortSignal): Promise<number> {
  const { stat: found, tar } = await client.copyFrom(from.id, from.path, { signal });
  if (dest === "-") {
    for await (const chunk of tar) if (!ctx.stdout.write(chunk)) await new Promise<void>((resolve) => ctx.stdout.once("drain", () => resolve()));
    return 0;
  }
  const folder = await stat(dest).then((s) => s.isDirectory(), () => false);
  const contentOnly = from.path.endsWith("/.");
  if (contentOnly && !folder) await mkdir(dest, { recursive: true });
  const dir = folder || contentOnly ? dest : dirname(dest);
  const rename = folder || contentOnly ? undefined : { from: found.name, to: basename(dest) };
  if (!(await stat(dir).then((s) => s.isDirectory(), () => false))) throw new BerthError("not_found", `no folder ${dir} on the host to copy into`);
  // Owners only for root, as tar does.
  await extractToHost(dir, tar, { rename, signal, sameOwner: flag(ctx, "archive") || process.getuid?.() === 0 });
  return 0;
}

function posixDirname(path: string): string {
  const d = dirname(path);
  return d === "" ? "/" : d;
}
