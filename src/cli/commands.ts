// COMMANDS lists berth's subcommands in the order help shows them.
import type { Command } from "./command.js";
import { attachCommand } from "./commands/attach-command.js";
import { configCommand } from "./commands/config-command.js";
import { cpCommand } from "./commands/cp-command.js";
import { createCommand } from "./commands/create-command.js";
import { demoCommand } from "./commands/demo-command.js";
import { eventsCommand } from "./commands/events-command.js";
import { execCommand } from "./commands/exec-command.js";
import { imageCommand } from "./commands/image-command.js";
import { imagesCommand } from "./commands/images-command.js";
import { loadCommand } from "./commands/load-command.js";
import { rmiCommand } from "./commands/rmi-command.js";
import { saveCommand } from "./commands/save-command.js";
import { tagCommand } from "./commands/tag-command.js";
import { infoCommand } from "./commands/info-command.js";
import { inspectCommand } from "./commands/inspect-command.js";
import { killCommand } from "./commands/kill-command.js";
import { loginCommand, logoutCommand } from "./commands/login-command.js";
import { logLevelCommand } from "./commands/log-level-command.js";
import { logsCommand } from "./commands/logs-command.js";
import { networkCommand } from "./commands/network-command.js";
import { pullCommand } from "./commands/pull-command.js";
import { pauseCommand } from "./commands/pause-command.js";
import { portCommand } from "./commands/port-command.js";
import { psCommand } from "./commands/ps-command.js";
import { restartCommand } from "./commands/restart-command.js";
import { resumeCommand } from "./commands/resume-command.js";
import { rmCommand } from "./commands/rm-command.js";
import { runCommand } from "./commands/run-command.js";
import { serveCommand } from "./commands/serve-command.js";
import { startCommand } from "./commands/start-command.js";
import { statsCommand } from "./commands/stats-command.js";
import { stopCommand } from "./commands/stop-command.js";
import { topCommand } from "./commands/top-command.js";
import { updateCommand } from "./commands/update-command.js";
import { versionCommand } from "./commands/version-command.js";
import { waitCommand } from "./commands/wait-command.js";

export const COMMANDS: readonly Command[] = [
  serveCommand,
  configCommand,
  demoCommand,
  runCommand,
  createCommand,
  startCommand,
  stopCommand,
  restartCommand,
  execCommand,
  attachCommand,
  cpCommand,
  psCommand,
  inspectCommand,
  logsCommand,
  statsCommand,
  topCommand,
  updateCommand,
  pauseCommand,
  resumeCommand,
  killCommand,
  waitCommand,
  rmCommand,
  portCommand,
  networkCommand,
  imagesCommand,
  imageCommand,
  tagCommand,
  rmiCommand,
  loadCommand,
  saveCommand,
  eventsCommand,
  pullCommand,
  loginCommand,
  logoutCommand,
  infoCommand,
  logLevelCommand,
  versionCommand,
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
