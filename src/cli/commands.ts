// COMMANDS lists berth's subcommands in the order help shows them. Each one
// is imported when it runs, not before: `berth serve` then loads only the
// daemon (a command's module imports what it needs, and the CLI side of
// pulls, copies, image archives and the rig is no part of a serving
// daemon's memory), and `berth ps` only its client.
import type { Command } from "./command.js";

const COMMANDS: ReadonlyArray<readonly [name: string, load: () => Promise<Command>]> = [
  ["serve", async () => (await import("./commands/serve-command.js")).serveCommand],
  ["config", async () => (await import("./commands/config-command.js")).configCommand],
  ["demo", async () => (await import("./commands/demo-command.js")).demoCommand],
  ["run", async () => (await import("./commands/run-command.js")).runCommand],
  ["create", async () => (await import("./commands/create-command.js")).createCommand],
  ["start", async () => (await import("./commands/start-command.js")).startCommand],
  ["stop", async () => (await import("./commands/stop-command.js")).stopCommand],
  ["restart", async () => (await import("./commands/restart-command.js")).restartCommand],
  ["exec", async () => (await import("./commands/exec-command.js")).execCommand],
  ["attach", async () => (await import("./commands/attach-command.js")).attachCommand],
  ["cp", async () => (await import("./commands/cp-command.js")).cpCommand],
  ["ps", async () => (await import("./commands/ps-command.js")).psCommand],
  ["inspect", async () => (await import("./commands/inspect-command.js")).inspectCommand],
  ["logs", async () => (await import("./commands/logs-command.js")).logsCommand],
  ["stats", async () => (await import("./commands/stats-command.js")).statsCommand],
  ["top", async () => (await import("./commands/top-command.js")).topCommand],
  ["update", async () => (await import("./commands/update-command.js")).updateCommand],
  ["pause", async () => (await import("./commands/pause-command.js")).pauseCommand],
  ["resume", async () => (await import("./commands/resume-command.js")).resumeCommand],
  ["kill", async () => (await import("./commands/kill-command.js")).killCommand],
  ["wait", async () => (await import("./commands/wait-command.js")).waitCommand],
  ["rm", async () => (await import("./commands/rm-command.js")).rmCommand],
  ["port", async () => (await import("./commands/port-command.js")).portCommand],
  ["network", async () => (await import("./commands/network-command.js")).networkCommand],
  ["images", async () => (await import("./commands/images-command.js")).imagesCommand],
  ["image", async () => (await import("./commands/image-command.js")).imageCommand],
  ["tag", async () => (await import("./commands/tag-command.js")).tagCommand],
  ["rmi", async () => (await import("./commands/rmi-command.js")).rmiCommand],
  ["load", async () => (await import("./commands/load-command.js")).loadCommand],
  ["save", async () => (await import("./commands/save-command.js")).saveCommand],
  ["events", async () => (await import("./commands/events-command.js")).eventsCommand],
  ["pull", async () => (await import("./commands/pull-command.js")).pullCommand],
  ["login", async () => (await import("./commands/login-command.js")).loginCommand],
  ["logout", async () => (await import("./commands/login-command.js")).logoutCommand],
  ["info", async () => (await import("./commands/info-command.js")).infoCommand],
  ["log-level", async () => (await import("./commands/log-level-command.js")).logLevelCommand],
  ["version", async () => (await import("./commands/version-command.js")).versionCommand],
];

// loadCommand imports the command called name (undefined: there is none).
export async function loadCommand(name: string): Promise<Command | undefined> {
  const entry = COMMANDS.find(([n]) => n === name);
  return entry === undefined ? undefined : await entry[1]();
}

// loadCommands imports every command, for the overview of `berth --help`.
export async function loadCommands(): Promise<Command[]> {
  return await Promise.all(COMMANDS.map(([, load]) => load()));
}
