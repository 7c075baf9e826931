// main is the berth CLI: it parses the command line, runs one command and
// returns the exit code. Every failure ends here as one `berth: <message>`
// line on stderr and an exit code that names its kind (exit-code.ts).
import { BerthError } from "../errors/berth-error.js";
import type { Command } from "./command.js";
import { loadCommand, loadCommands } from "./commands.js";
import { exitCodeOf } from "./exit-code.js";
import { GLOBAL_OPTIONS, resolveGlobals } from "./global-options.js";
import { parseArgv } from "./parse-argv.js";
import { renderCommandHelp, renderMainHelp } from "./render-help.js";
import { USAGE_EXIT_CODE, UsageError } from "./usage-error.js";

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { stdout, stderr } = process;
  stdout.on("error", ignoreClosedReader);
  stderr.on("error", ignoreClosedReader);
  let command: Command | undefined;
  try {
    // Global options may come before the command; the command's name is
    // the first positional, and everything after it is the command's.
    const head = parseArgv(argv, GLOBAL_OPTIONS, { stopAfter: 0, where: "berth" });
    const [name, ...tail] = head.rest ?? [];
    if (name === undefined || name === "help") {
      const topic = name === "help" && tail[0] !== undefined ? await commandNamed(tail[0]) : undefined;
      if (name === undefined && head.values["help"] !== true) {
        stderr.write(renderMainHelp(await loadCommands()));
        return USAGE_EXIT_CODE;
      }
      stdout.write(topic ? renderCommandHelp(topic) : renderMainHelp(await loadCommands()));
      return 0;
    }
    command = await commandNamed(name);
    const own = parseArgv(tail, [...GLOBAL_OPTIONS, ...command.options], {
      where: `berth ${name}`,
      ...(command.takesCommand && { stopAfter: command.positionals.max }),
    });
    const values = { ...head.values, ...own.values };
    if (values["help"] === true) {
      stdout.write(renderCommandHelp(command));
      return 0;
    }
    const positionals = command.takesCommand ? own.positionals : [...own.positionals, ...(own.rest ?? [])];
    checkCount(command, positionals.length);
    return await command.run({
      globals: resolveGlobals(values, env),
      values,
      positionals,
      command: command.takesCommand ? (own.rest ?? []) : [],
      stdout,
      stderr,
      env,
    });
  } catch (err) {
    stderr.write(`berth: ${err instanceof UsageError ? err.message : BerthError.from(err).message}\n`);
    if (err instanceof UsageError) stderr.write(`see \`berth ${command ? `${command.name} ` : ""}--help\`\n`);
    return exitCodeOf(err);
  }
}

// ignoreClosedReader keeps a reader that goes away (`berth run --rm x | head`)
// from crashing the CLI halfway: output is dropped from then on, but the
// command still finishes its work, such as deleting that --rm container.
function ignoreClosedReader(err: NodeJS.ErrnoException): void {
  if (err.code !== "EPIPE" && err.code !== "ERR_STREAM_DESTROYED") throw err;
}

async function commandNamed(name: string): Promise<Command> {
  const command = await loadCommand(name);
  if (command === undefined) throw new UsageError(`unknown command ${JSON.stringify(name)}`);
  return command;
}

function checkCount(command: Command, count: number): void {
  const { min, max } = command.positionals;
  if (count >= min && count <= max) return;
  const expected = max === 0 ? "no arguments" : min === max ? `${min} argument${min === 1 ? "" : "s"}` : max === Infinity ? `at least ${min}` : `${min} to ${max} arguments`;
  throw new UsageError(`${command.name} takes ${expected}, got ${count}: berth ${command.name} ${command.usage}`.trimEnd());
}
