// parseArgv is berth's small argument parser. node:util parseArgs cannot
// stop at a command's first argument (`berth run ID sh -c x` must leave
// "-c" to sh), so this one knows where a command's own arguments begin:
// at "--", or at the first argument past the positionals it takes.
import { UsageError } from "./usage-error.js";

export interface OptionSpec {
  // name is the long name without dashes ("pids-limit").
  name: string;
  short?: string;
  type: "boolean" | "string";
  // multiple collects every occurrence into an array.
  multiple?: boolean;
  // value names the argument in help text ("BYTES").
  value?: string;
  help: string;
}

export type OptionValue = string | boolean | string[];

export interface ParsedArgv {
  values: Record<string, OptionValue | undefined>;
  positionals: string[];
  // rest is everything after "--" or after the positionals when stopAfter
  // is set; undefined when neither happened.
  rest: string[] | undefined;
}

export interface ParseOptions {
  // stopAfter ends option parsing at the first positional past this many.
  stopAfter?: number;
  // where names the command in error messages ("berth run").
  where: string;
}

export function parseArgv(argv: readonly string[], specs: readonly OptionSpec[], options: ParseOptions): ParsedArgv {
  const values: Record<string, OptionValue | undefined> = {};
  const positionals: string[] = [];
  const set = (spec: OptionSpec, value: string | boolean) => {
    if (spec.multiple) values[spec.name] = [...((values[spec.name] as string[] | undefined) ?? []), String(value)];
    else values[spec.name] = value;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") return { values, positionals, rest: argv.slice(i + 1) };
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq === -1 ? undefined : eq);
      const spec = specs.find((s) => s.name === name);
      if (spec === undefined) throw new UsageError(`unknown option --${name} for ${options.where}`);
      if (spec.type === "boolean") {
        if (eq !== -1) throw new UsageError(`option --${name} of ${options.where} takes no value`);
        set(spec, true);
      } else if (eq !== -1) {
        set(spec, arg.slice(eq + 1));
      } else {
        set(spec, valueAfter(argv, i++, `--${name}`, options.where));
      }
    } else if (arg.startsWith("-") && arg.length > 1) {
      // Short flags may be bundled ("-fd"); a string flag takes the rest of
      // the bundle or the next argument as its value ("-nfoo", "-n foo").
      for (let j = 1; j < arg.length; j++) {
        const spec = specs.find((s) => s.short === arg[j]);
        if (spec === undefined) throw new UsageError(`unknown option -${arg[j]} for ${options.where}`);
        if (spec.type === "boolean") {
          set(spec, true);
          continue;
        }
        set(spec, j + 1 < arg.length ? arg.slice(j + 1) : valueAfter(argv, i++, `-${arg[j]}`, options.where));
        break;
      }
    } else {
      if (options.stopAfter !== undefined && positionals.length >= options.stopAfter) {
        return { values, positionals, rest: argv.slice(i) };
      }
      positionals.push(arg);
    }
  }
  return { values, positionals, rest: undefined };
}

function valueAfter(argv: readonly string[], i: number, flag: string, where: string): string {
  const value = argv[i + 1];
  if (value === undefined) throw new UsageError(`option ${flag} of ${where} needs a value`);
  return value;
}
