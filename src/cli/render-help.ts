// The text of `berth --help` and `berth <command> --help`.
import type { Command } from "./command.js";
import { exitCodeTable } from "./exit-code.js";
import { GLOBAL_OPTIONS } from "./global-options.js";
import type { OptionSpec } from "./parse-argv.js";

// renderMainHelp lists commands (all of them, in help's order).
export function renderMainHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    "berth: containers on runc and conmon, served over gRPC",
    "",
    "Usage: berth [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    "",
    "Global options (before or after the command):",
    renderOptions(GLOBAL_OPTIONS),
    "",
    "Errors print `berth: <message>` on stderr. Exit codes:",
    "  0   success (run and exec: the process's own exit code)",
    exitCodeTable(),
    "",
    "Run `berth COMMAND --help` for a command's options.",
    "",
  ].join("\n");
}

export function renderCommandHelp(command: Command): string {
  return [
    `Usage: berth ${command.name}${command.usage ? ` ${command.usage}` : ""}`,
    "",
    `${command.summary[0]!.toUpperCase()}${command.summary.slice(1)}.`,
    ...(command.details ? ["", command.details] : []),
    ...(command.options.length > 0 ? ["", "Options:", renderOptions(command.options)] : []),
    "",
    "Global options:",
    renderOptions(GLOBAL_OPTIONS),
    "",
  ].join("\n");
}

function renderOptions(options: readonly OptionSpec[]): string {
  const heads = options.map((o) => {
    const long = `--${o.name}${o.type === "string" ? ` ${o.value ?? "VALUE"}` : ""}`;
    return o.short ? `-${o.short}, ${long}` : `    ${long}`;
  });
  const width = Math.max(...heads.map((h) => h.length)) + 2;
  return options.map((o, i) => `  ${heads[i]!.padEnd(width)}${o.help}`).join("\n");
}
