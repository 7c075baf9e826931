// Wait makes the wait strategies, as testcontainers-node's Wait does.
import { AllWait } from "./all-wait.js";
import { ExecWait } from "./exec-wait.js";
import { ExitWait } from "./exit-wait.js";
import { LogWait } from "./log-wait.js";
import { PortWait } from "./port-wait.js";
import type { WaitStrategy } from "./wait-strategy.js";

export const Wait = {
  // forLogMessage: a line of stdout or stderr containing message (or
  // matching it, a RegExp), times times.
  forLogMessage: (message: string | RegExp, times = 1) => new LogWait(message, times),
  // forExit: the process ended, with exitCode when given.
  forExit: (exitCode?: number) => new ExitWait(exitCode),
  // forListeningPorts: every published TCP port accepts a connection on
  // the host's side.
  forListeningPorts: () => new PortWait(),
  // forPort: these container ports accept connections on the host's side.
  forPort: (...ports: number[]) => new PortWait(ports),
  // forExec: the command, run in the container, exits 0.
  forExec: (args: readonly string[]) => new ExecWait(args),
  // forAll: every one of the strategies.
  forAll: (strategies: readonly WaitStrategy[]) => new AllWait(strategies),
};
