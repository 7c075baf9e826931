// RpcLog writes one line per finished RPC, on both stacks (it is handed the
// same calls the metrics' timer is): the service, the method, the status
// code and the duration. A success is debug, a call the client ended
// (CANCELLED) too; a client's mistake (NOT_FOUND, INVALID_ARGUMENT, ...) is
// warn and the daemon's own failure (INTERNAL, UNKNOWN, DATA_LOSS,
// UNAVAILABLE) error, except the UNAVAILABLE that ends a call open when the
// daemon stops on purpose (a Subscribe, a Wait): that is info. Neither request nor response is ever logged: a request
// holds environment values, which may be secrets.
//
// observe runs on every call, so it checks the level before it builds
// anything: at the default level a success costs one comparison.
import type { Logger } from "pino";

import { isDaemonFault } from "./fault-codes.js";

const DEBUG = 20;
const WARN = 40;
const ERROR = 50;

const INFO = 30;

export class RpcLog {
  #draining = false;

  constructor(private readonly logger: Logger) {}

  // drain: the server is stopping, and ends the calls still open with
  // UNAVAILABLE.
  drain(): void {
    this.#draining = true;
  }

  observe(service: string, method: string, code: string, seconds: number): void {
    const logger = this.logger;
    const quiet = code === "OK" || code === "CANCELLED";
    const stopped = this.#draining && code === "UNAVAILABLE";
    const fault = !quiet && !stopped && isDaemonFault(code);
    if (logger.levelVal > (quiet ? DEBUG : stopped ? INFO : fault ? ERROR : WARN)) return;
    const line = { rpc: { service, method, code, ms: Math.round(seconds * 1e6) / 1e3 } };
    if (quiet) logger.debug(line, "rpc");
    else if (stopped) logger.info(line, "rpc ended: the daemon is stopping");
    else if (fault) logger.error(line, "rpc failed");
    else logger.warn(line, "rpc refused");
  }
}
