// berth login and logout: keep or forget a registry's credentials. Login
// checks them with the registry first and saves them only when it accepts
// them. The password comes from stdin (--password-stdin), so it never shows
// in the process list or the shell's history.
import { BerthError } from "../../errors/berth-error.js";
import { flag, stringOption, type Command } from "../command.js";
import { withClient } from "../connect-client.js";
import { UsageError } from "../usage-error.js";

export const loginCommand: Command = {
  name: "login",
  summary: "check and keep credentials for a registry",
  usage: "-u USER --password-stdin [SERVER]",
  positionals: { min: 0, max: 1 },
  options: [
    { name: "username", short: "u", type: "string", value: "USER", help: "the user name" },
    { name: "password-stdin", type: "boolean", help: "read the password from stdin (up to its end; one trailing newline dropped)" },
    { name: "password", short: "p", type: "string", value: "PASSWORD", help: "the password (visible to other users of this machine: prefer --password-stdin)" },
  ],
  details: "SERVER is host[:port]; docker.io when left out.",
  async run(ctx) {
    const server = ctx.positionals[0] ?? "docker.io";
    const username = stringOption(ctx, "username");
    if (username === undefined) throw new UsageError("login needs -u USER");
    let password = stringOption(ctx, "password");
    if (flag(ctx, "password-stdin")) {
      if (password !== undefined) throw new UsageError("give the password with --password-stdin or --password, not both");
      password = (await readAll(process.stdin)).replace(/\r?\n$/, "");
    } else if (password === undefined) {
      throw new UsageError("login needs the password: pipe it in with --password-stdin");
    } else {
      ctx.stderr.write("berth: warning: a password on the command line is visible to other users; use --password-stdin\n");
    }
    if (password === "") throw new BerthError("invalid_argument", "the password is empty");
    const saved = await withClient(ctx.globals, (client) => client.login(server, { username, password }));
    ctx.stdout.write(`Login succeeded: ${saved.server}\n`);
    return 0;
  },
};

export const logoutCommand: Command = {
  name: "logout",
  summary: "forget the credentials kept for a registry",
  usage: "[SERVER]",
  positionals: { min: 0, max: 1 },
  options: [],
  details: "SERVER is host[:port]; docker.io when left out.",
  async run(ctx) {
    const server = ctx.positionals[0] ?? "docker.io";
    const { removed } = await withClient(ctx.globals, (client) => client.logout(server));
    ctx.stdout.write(removed ? `Removed the credentials for ${server}\n` : `No credentials were kept for ${server}\n`);
    return 0;
  },
};

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new BerthError("invalid_argument", "the password on stdin is longer than 64 KiB");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
