// Command is one subcommand of the berth CLI: its help, its options and its
// run function. main.ts parses the command line against it and hands run a
// CommandContext; run returns the process's exit code.
import type { OptionSpec, OptionValue } from "./parse-argv.js";

export interface GlobalSettings {
  socket: string;
  namespace: string;
  stateDir: string;
}

export interface CommandContext {
  globals: GlobalSettings;
  values: Record<string, OptionValue | undefined>;
  positionals: string[];
  // command is what follows "--" (or the positionals) for commands that run
  // a program; empty otherwise.
  command: string[];
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  // env is the environment the command was started with.
  env: NodeJS.ProcessEnv;
}

export interface Command {
  name: string;
  summary: string;
  // usage is what follows "berth <name>" in help ("[-f] ID...").
  usage: string;
  options: OptionSpec[];
  // positionals bounds the arguments before the program's own.
  positionals: { min: number; max: number };
  // takesCommand says that arguments past the positionals (or after "--")
  // are a program and its arguments.
  takesCommand?: boolean;
  // details is extra help text, shown by "berth <name> --help".
  details?: string;
  run(ctx: CommandContext): Promise<number>;
}

// Helpers that read typed values out of a parsed command line.
export function stringOption(ctx: CommandContext, name: string): string | undefined {
  const value = ctx.values[name];
  return typeof value === "string" ? value : undefined;
}

export function listOption(ctx: CommandContext, name: string): string[] {
  const value = ctx.values[name];
  return Array.isArray(value) ? value : [];
}

export function flag(ctx: CommandContext, name: string): boolean {
  return ctx.values[name] === true;
}
