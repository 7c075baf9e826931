// berth serve: run the daemon in the foreground until SIGTERM or SIGINT.
// Stopping ends the gRPC server and flushes the event journal; containers
// keep running under their conmon monitors, and the next `berth serve` on
// the same state directory adopts them.
import { BerthError } from "../../errors/berth-error.js";
import { createLogger, type Logger } from "../../log/create-logger.js";
import { LOG_LEVELS, parseLogFormat, parseLogLevel } from "../../log/log-level.js";
import { Remote } from "../../remote/remote.js";
import { listOption, stringOption, type Command } from "../command.js";
import { parseCount } from "../parse-count.js";
import { UsageError } from "../usage-error.js";
import { parseSize } from "../parse-size.js";
import { sdNotify } from "../sd-notify.js";
import { LISTEN_OPTIONS, socketAccess, tcpOptions } from "../listen-flags.js";

export const serveCommand: Command = {
  name: "serve",
  summary: "run the berth daemon",
  usage: "[--state-dir DIR] [--socket PATH] [--runtime runc] [--log-size-max BYTES] [--cgroup-parent PATH] [--default-network NAME|none] [--network-subnet CIDR] [--network-bridge DEVICE] [--max-request-size BYTES] [--max-concurrent-streams N] [--max-containers N] [--max-event-subscribers N] [--max-image-archive-size BYTES] [--subuid-range START:COUNT] [--listen tcp://HOST:PORT --tls-cert FILE --tls-key FILE [--tls-client-ca FILE] | --insecure] [--authorize IDENTITY=NS[,NS...]]... [--insecure-registry HOST]... [--registry-certs-dir DIR] [--trace FILE]",
  positionals: { min: 0, max: 0 },
  options: [
    { name: "runtime", type: "string", value: "PATH", help: "OCI runtime binary, found on PATH (default runc)" },
    { name: "log-size-max", type: "string", value: "BYTES", help: "cap on each process's log file (default: no cap)" },
    { name: "subuid-range", type: "string", value: "START:COUNT", help: "host uids and gids that --userns auto containers get their blocks from (default 1000000000:655360000; must not meet /etc/subuid or /etc/subgid)" },
    { name: "cgroup-parent", type: "string", value: "PATH", help: "cgroup under which containers go, as <PATH>/<namespace>/<id> (default /berth)" },
    ...LISTEN_OPTIONS,
    { name: "default-network", type: "string", value: "NAME", help: "what a container naming no network joins: a network, or none (default: the berth bridge network)" },
    { name: "network-subnet", type: "string", value: "CIDR", help: "the default network's subnet (default 10.87.0.0/16)" },
    { name: "network-bridge", type: "string", value: "DEVICE", help: "the default network's bridge device (default berth0)" },
    {
      name: "authorize",
      type: "string",
      multiple: true,
      value: "IDENTITY=NS,...",
      help: "over TLS, let the client certificate cn:NAME or uri:SAN use these namespaces (* for all); once any is given, other certificates get none",
    },
    { name: "insecure-registry", type: "string", multiple: true, value: "HOST", help: "a registry (host[:port]) that may be reached over plain HTTP, its TLS certificate unchecked" },
    { name: "registry-certs-dir", type: "string", value: "DIR", help: "CA certificates per registry, as DIR/<host[:port]>/*.crt (default /etc/berth/certs.d)" },
    { name: "max-request-size", type: "string", value: "BYTES", help: "largest request message on any protocol (default 4m)" },
    { name: "max-concurrent-streams", type: "string", value: "N", help: "calls one HTTP/2 connection carries at once; more wait (default 1024)" },
    { name: "max-containers", type: "string", value: "N", help: "containers one namespace may hold (default 10000)" },
    { name: "max-event-subscribers", type: "string", value: "N", help: "event subscriptions open at once (default 1024)" },
    { name: "trace", type: "string", value: "FILE", help: "append one JSON line per operation (create, start, exec, kill, exit, delete) with the time of each step to FILE (default: $BERTH_TRACE, else off)" },
    { name: "max-image-archive-size", type: "string", value: "BYTES", help: "the largest archive Load takes, as sent and as decompressed (default 16g)" },
    { name: "log-level", type: "string", value: "LEVEL", help: `the daemon's log level: ${LOG_LEVELS.join(", ")} (default info; change it while serving with \`berth log-level\`)` },
    { name: "log-format", type: "string", value: "json|text", help: "log lines on stderr as JSON (default) or as text for a terminal" },
  ],
  details: "Prints `berth: serving on <socket>` once ready (and tells systemd READY=1 when started with Type=notify). Needs root, runc and conmon.",
  async run(ctx) {
    const { stateDir, socket } = ctx.globals;
    const runtime = stringOption(ctx, "runtime");
    const trace = stringOption(ctx, "trace") ?? (process.env["BERTH_TRACE"] || undefined);
    const logSizeMax = stringOption(ctx, "log-size-max");
    const cgroupParent = stringOption(ctx, "cgroup-parent");
    const defaultNetwork = stringOption(ctx, "default-network");
    const subnet = stringOption(ctx, "network-subnet");
    const bridge = stringOption(ctx, "network-bridge");
    if (cgroupParent !== undefined && !/^(\/[a-zA-Z0-9_.-]+)+$/.test(cgroupParent)) {
      throw new BerthError("invalid_argument", `--cgroup-parent ${JSON.stringify(cgroupParent)} must be an absolute cgroup path such as /berth or /kubepods/berth`);
    }
    const tcp = tcpOptions(ctx);
    const authorize = listOption(ctx, "authorize").map((rule) => {
      const at = rule.lastIndexOf("=");
      if (at <= 0) throw new UsageError(`--authorize ${JSON.stringify(rule)} must be IDENTITY=NAMESPACE[,NAMESPACE...], e.g. cn:ci-runner=ci or uri:spiffe://example/admin=*`);
      return { identity: rule.slice(0, at), namespaces: rule.slice(at + 1).split(",").filter((ns) => ns !== "") };
    });
    const count = (flag: string) => {
      const text = stringOption(ctx, flag);
      return text === undefined ? undefined : parseCount(text, `--${flag}`);
    };
    const maxRequestSize = stringOption(ctx, "max-request-size");
    const maxArchive = stringOption(ctx, "max-image-archive-size");
    const limits = {
      ...(maxRequestSize !== undefined && { maxRequestBytes: Number(parseSize(maxRequestSize, "--max-request-size")) }),
      maxConcurrentStreams: count("max-concurrent-streams"),
      maxContainersPerNamespace: count("max-containers"),
      maxEventSubscribers: count("max-event-subscribers"),
      ...(maxArchive !== undefined && { maxImageArchiveBytes: Number(parseSize(maxArchive, "--max-image-archive-size")) }),
    };
    const logger = createLogger({ level: parseLogLevel(stringOption(ctx, "log-level") ?? "info", "--log-level"), format: parseLogFormat(stringOption(ctx, "log-format") ?? "json", "--log-format") });
    const remote = await Remote.start({
      logger,
      stateDir,
      socketPath: socket,
      ...(tcp !== undefined && { tcp }),
      socketAccess: socketAccess(ctx),
      ...limits,
      ...(authorize.length > 0 && { authorization: authorize }),
      ...(runtime !== undefined && { runtime }),
      ...(trace !== undefined && { trace }),
      ...(cgroupParent !== undefined && { cgroupParent }),
      ...(stringOption(ctx, "subuid-range") !== undefined && { subuidRange: stringOption(ctx, "subuid-range") }),
      ...(logSizeMax !== undefined && { logSizeMax: Number(parseSize(logSizeMax, "--log-size-max")) }),
      network: {
        ...(defaultNetwork !== undefined && { defaultNetwork }),
        bridge: { ...(subnet !== undefined && { subnet }), ...(bridge !== undefined && { bridge }) },
      },
      registry: { insecure: listOption(ctx, "insecure-registry"), certsDir: stringOption(ctx, "registry-certs-dir") ?? "/etc/berth/certs.d" },
    });
    const security = tcp?.tls === undefined ? "insecure" : tcp.tls.clientCa === undefined ? "tls" : "mtls";
    ctx.stdout.write(`berth: serving on ${socket}${remote.tcpAddress === undefined ? "" : ` and tcp ${remote.tcpAddress} (${security})`}\n`);
    logger.info({ socket, ...(remote.tcpAddress !== undefined && { tcp: remote.tcpAddress, security }) }, "serving");
    await notifySystemd(logger, "READY=1");
    const received = await stopSignal();
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
