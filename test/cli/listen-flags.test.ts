// berth serve's listen flags: tcp://HOST:PORT (IPv6 in brackets), TLS files
// that go together, and the socket's mode, owner and group.
import { describe, expect, it } from "vitest";

import type { CommandContext } from "../../src/cli/command.js";
import { parseListen, socketAccess, tcpOptions } from "../../src/cli/listen-flags.js";

const ctx = (values: CommandContext["values"]) => ({ values }) as CommandContext;

describe("--listen", () => {
  it("reads tcp://HOST:PORT, IPv6 in brackets", () => {
    expect(parseListen("tcp://127.0.0.1:7443")).toEqual({ host: "127.0.0.1", port: 7443 });
    expect(parseListen("tcp://[::1]:0")).toEqual({ host: "::1", port: 0 });
    expect(parseListen("tcp://localhost:80")).toEqual({ host: "localhost", port: 80 });
  });

  it.each(["127.0.0.1:7443", "tcp://127.0.0.1", "tcp://127.0.0.1:70000", "unix:///x", "tcp://::1:80"])("refuses %s with a usage error", (value) => {
    expect(() => parseListen(value)).toThrow(/give tcp:\/\/HOST:PORT/);
  });

  it("asks for --tls-cert and --tls-key together, and TLS flags only with --listen", () => {
    expect(() => tcpOptions(ctx({ listen: "tcp://127.0.0.1:1", "tls-cert": "/x" }))).toThrow(/go together/);
    expect(() => tcpOptions(ctx({ insecure: true }))).toThrow(/go with --listen/);
    expect(() => tcpOptions(ctx({ listen: "tcp://127.0.0.1:1", "tls-client-ca": "/x" }))).toThrow(/needs --tls-cert/);
    expect(tcpOptions(ctx({ listen: "tcp://127.0.0.1:1", insecure: true }))).toEqual({ host: "127.0.0.1", port: 1, insecure: true });
  });
});

describe("socket access flags", () => {
  it("reads an octal mode and names or numbers for owner and group", () => {
    expect(socketAccess(ctx({ "socket-mode": "660", "socket-owner": "root", "socket-group": "7" }))).toEqual({ mode: 0o660, uid: 0, gid: 7 });
    expect(() => socketAccess(ctx({ "socket-mode": "rw" }))).toThrow(/octal/);
    expect(() => socketAccess(ctx({ "socket-group": "no-such-group-here" }))).toThrow(/no such name in \/etc\/group/);
  });
});
