// The flags of `berth serve` that say where and to whom the daemon listens:
// --listen tcp://HOST:PORT with --tls-cert/--tls-key (and --tls-client-ca
// for mTLS) or --insecure on loopback; --socket-mode, --socket-owner and
// --socket-group for the unix socket.
import { readFileSync } from "node:fs";
import type { SocketAccess, TcpOptions } from "../remote/server.js";
import { flag, stringOption, type CommandContext } from "./command.js";
import { UsageError } from "./usage-error.js";

const usageError = (message: string) => new UsageError(message);

export function tcpOptions(ctx: CommandContext): TcpOptions | undefined {
  const listen = stringOption(ctx, "listen");
  const cert = stringOption(ctx, "tls-cert");
  const key = stringOption(ctx, "tls-key");
  const clientCa = stringOption(ctx, "tls-client-ca");
  const insecure = flag(ctx, "insecure");
  if (listen === undefined) {
    if (cert ?? key ?? clientCa ?? (insecure || undefined)) throw usageError("--tls-cert, --tls-key, --tls-client-ca and --insecure go with --listen tcp://HOST:PORT");
    return undefined;
  }
  const { host, port } = parseListen(listen);
  if ((cert === undefined) !== (key === undefined)) throw usageError("--tls-cert and --tls-key go together");
  if (clientCa !== undefined && cert === undefined) throw usageError("--tls-client-ca needs --tls-cert and --tls-key");
  if (cert === undefined || key === undefined) return { host, port, insecure };
  const tls = { cert: readPem(cert, "--tls-cert"), key: readPem(key, "--tls-key"), ...(clientCa !== undefined && { clientCa: readPem(clientCa, "--tls-client-ca") }) };
  return { host, port, tls, insecure };
}

// parseListen reads tcp://HOST:PORT, with an IPv6 host in brackets.
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[^:/[\]]+):(\d{1,5})$/.exec(listen);
  if (m === null || Number(m[2]) > 65535) throw usageError(`--listen ${JSON.stringify(listen)}: give tcp://HOST:PORT, such as tcp://127.0.0.1:7443 or tcp://[::1]:7443`);
  return { host: m[1]!.replace(/^\[(.*)\]$/, "$1"), port: Number(m[2]) };
}

export function socketAccess(ctx: CommandContext): SocketAccess {
  const mode = stringOption(ctx, "socket-mode");
  const owner = stringOption(ctx, "socket-owner");
  const group = stringOption(ctx, "socket-group");
  if (mode !== undefined && !/^0?[0-7]{3}$/.test(mode)) throw usageError(`--socket-mode ${JSON.stringify(mode)}: give octal permission bits such as 600 or 660`);
  return {
    ...(mode !== undefined && { mode: Number.parseInt(mode, 8) }),
    ...(owner !== undefined && { uid: idOf(owner, "/etc/passwd", "--socket-owner") }),
    ...(group !== undefined && { gid: idOf(group, "/etc/group", "--socket-group") }),
  };
}

// idOf reads a user or group, by number or by name from /etc/passwd or
// /etc/group (both are name:x:id:... lines).
function idOf(value: string, file: string, what: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  const line = readFileSync(file, "utf8").split("\n").find((l) => l.split(":")[0] === value);
  if (line === undefined) throw usageError(`${what} ${JSON.stringify(value)}: no such name in ${file}; give a name from it or a number`);
  return Number(line.split(":")[2]);
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw usageError(`${what} ${path}: ${(err as Error).message}`);
  }
}
