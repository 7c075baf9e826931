// berth config default | check FILE: the daemon's config file. default
// prints every setting with its default and a comment, as TOML; check reads
// a file (or - for stdin) as `berth serve --config` would and says OK, or
// names the bad key and what it allows.
import { defaultConfig } from "../../config/default-config.js";
import { loadConfigFile } from "../../config/load-config.js";
import type { Command } from "../command.js";
import { UsageError } from "../usage-error.js";

export const configCommand: Command = {
  name: "config",
  summary: "print the default config file, or check one",
  usage: "default | check FILE|-",
  positionals: { min: 1, max: 2 },
  options: [],
  details: "`berth config default > /etc/berth/config.toml` writes a file to edit; `berth serve` reads /etc/berth/config.toml when it exists, or the file --config or BERTH_CONFIG names.",
  async run(ctx) {
    const [sub, file] = ctx.positionals;
    if (sub === "default" && file === undefined) {
      ctx.stdout.write(defaultConfig());
      return 0;
    }
    if (sub === "check" && file !== undefined) {
      const values = loadConfigFile(file);
      ctx.stdout.write(`${file === "-" ? "stdin" : file}: OK (${values.size} setting${values.size === 1 ? "" : "s"})\n`);
      return 0;
    }
    throw new UsageError(`config: give \`default\` or \`check FILE\` (- for stdin)`);
  },
};
