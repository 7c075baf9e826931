// berth serve: run the daemon in the foreground until SIGTERM or SIGINT.
// Stopping ends the gRPC server and flushes the event journal; containers
// keep running under their conmon monitors, and the next `berth serve` on
// the same state directory adopts them.
import { createLogger, type Logger } from "../../log/create-logger.js";
import { parseLogFormat, parseLogLevel } from "../../log/log-level.js";
import { Remote } from "../../remote/remote.js";
import { flag, listOption, stringOption, type Command } from "../command.js";
import { parseCount } from "../parse-count.js";
import { parseSize } from "../parse-size.js";
import { sdNotify } from "../sd-notify.js";
import { socketAccess, tcpOptions } from "../listen-flags.js";
import { SERVE_OPTIONS, serveValues } from "../serve-settings.js";

export const serveCommand: Command = {
  name: "serve",
  summary: "run the berth daemon",
  usage: "[--config FILE] [--state-dir DIR] [--socket PATH] [--runtime runc] [--log-level LEVEL] [--log-format json|text] [--listen tcp://HOST:PORT --tls-cert FILE --tls-key FILE [--tls-client-ca FILE] | --insecure] [--authorize IDENTITY=NS[,NS...]]... [...]",
  positionals: { min: 0, max: 0 },
  options: SERVE_OPTIONS,
  details:
    "Every setting comes from, first found: its flag, its BERTH_* environment variable, the config file, its default (`berth config default` lists them all). " +
    "Prints `berth: serving on <socket>` once ready (and tells systemd READY=1 when started with Type=notify). Needs root, runc and conmon.",
  async run(ctx) {
    // Every setting, from wherever it came, read as if given as a flag.
    const settings = { ...ctx, values: serveValues(ctx) };
    const text = (flag: string) => stringOption(settings, flag)!;
    const count = (flag: string) => parseCount(text(flag), `--${flag}`);
    const socket = text("socket");
    const logSizeMax = stringOption(settings, "log-size-max");
    const trace = stringOption(settings, "trace");
    const tcp = tcpOptions(settings);
    // The schema has checked each rule's form; NamespaceAccess checks the rest.
    const authorization = listOption(settings, "authorize").map((rule) => {
      const at = rule.lastIndexOf("=");
      return { identity: rule.slice(0, at), namespaces: rule.slice(at + 1).split(",") };
    });
    const logger = createLogger({ level: parseLogLevel(text("log-level"), "--log-level"), format: parseLogFormat(text("log-format"), "--log-format") });
    const remote = await Remote.start({
      logger,
      stateDir: text("state-dir"),
      socketPath: socket,
      ...(tcp !== undefined && { tcp }),
      socketAccess: socketAccess(settings),
      ...(authorization.length > 0 && { authorization }),
      maxRequestBytes: Number(parseSize(text("max-request-size"), "--max-request-size")),
      maxConcurrentStreams: count("max-concurrent-streams"),
      maxContainersPerNamespace: count("max-containers"),
      maxEventSubscribers: count("max-event-subscribers"),
      maxImageArchiveBytes: Number(parseSize(text("max-image-archive-size"), "--max-image-archive-size")),
      runtime: text("runtime"),
      ...(trace !== undefined && { trace }),
      cgroupParent: text("cgroup-parent"),
      subuidRange: text("subuid-range"),
      ...(logSizeMax !== undefined && { logSizeMax: Number(parseSize(logSizeMax, "--log-size-max")) }),
      metrics: flag(settings, "metrics"),
      network: {
        defaultNetwork: text("default-network"),
        bridge: { subnet: text("network-subnet"), bridge: text("network-bridge") },
      },
      registry: { insecure: listOption(settings, "insecure-registry"), certsDir: text("registry-certs-dir") },
    });
    // Listening for the stop signal before saying "serving": a supervisor
    // that stops the daemon as soon as it reads the line must not kill it.
    const stopped = stopSignal();
    const security = tcp?.tls === undefined ? "insecure" : tcp.tls.clientCa === undefined ? "tls" : "mtls";
    ctx.stdout.write(`berth: serving on ${socket}${remote.tcpAddress === undefined ? "" : ` and tcp ${remote.tcpAddress} (${security})`}\n`);
    logger.info({ socket, ...(remote.tcpAddress !== undefined && { tcp: remote.tcpAddress, security }) }, "serving");
    await notifySystemd(logger, "READY=1");
    const received = await stopped;
    logger.info({ signal: received }, "stopping; containers keep running");
    await notifySystemd(logger, "STOPPING=1");
    // A second signal must not kill the process halfway through the
    // journal's flush; cleanup is bounded by the server's grace period.
    const ignore = (again: NodeJS.Signals) => logger.info({ signal: again }, "already stopping");
    process.on("SIGTERM", ignore).on("SIGINT", ignore);
    try {
      await remote.cleanup();
    } finally {
      process.off("SIGTERM", ignore).off("SIGINT", ignore);
    }
    logger.info("stopped");
    return 0;
  },
};

// notifySystemd never fails the daemon: a unit that waits for READY times
// out and says so, which is the better place for that error.
async function notifySystemd(logger: Logger, state: string): Promise<void> {
  try {
    await sdNotify(state);
  } catch (err) {
    logger.warn(`cannot tell systemd ${state} through NOTIFY_SOCKET: ${(err as Error).message}`);
  }
}

function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGTERM", stop).off("SIGINT", stop);
      resolve(signal);
    };
    process.on("SIGTERM", stop).on("SIGINT", stop);
  });
}
