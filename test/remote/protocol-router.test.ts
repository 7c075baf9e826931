// routeByPreface decides by the first bytes and gives them back: the chosen
// side reads the connection from its very start.
import { mkdtemp, rm } from "node:fs/promises";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routeByPreface } from "../../src/remote/protocol-router.js";
import { until } from "../fixtures/until.js";

const PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

interface Routed {
  side: "http2" | "http1";
  data: string;
}

let dir: string;
let server: net.Server;
let socketPath: string;
const routed: Routed[] = [];
let closedUnrouted = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-router-"));
  socketPath = join(dir, "router.sock");
  server = net.createServer((socket) => {
    let side: Routed["side"] | undefined;
    socket.once("close", () => {
      if (side === undefined) closedUnrouted++;
    });
    const take = (s: Routed["side"]) => (routedSocket: net.Socket) => {
      side = s;
      const entry: Routed = { side: s, data: "" };
      routed.push(entry);
      routedSocket.on("data", (chunk: Buffer) => (entry.data += chunk.toString("latin1")));
    };
    routeByPreface(socket, { http2: take("http2"), http1: take("http1") });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

async function connect(): Promise<net.Socket> {
  const socket = net.connect(socketPath);
  await new Promise((resolve) => socket.once("connect", resolve));
  return socket;
}

// writeSlowly sends each piece in its own write, waiting between them so
// that the server reads them apart.
async function writeSlowly(socket: net.Socket, pieces: string[]): Promise<void> {
  for (const piece of pieces) {
    socket.write(piece);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("routeByPreface", () => {
  it("waits for a preface that arrives in pieces, then hands over every byte", async () => {
    const before = routed.length;
    const socket = await connect();
    await writeSlowly(socket, [PREFACE.slice(0, 1), PREFACE.slice(1, 10), PREFACE.slice(10), "frames"]);
    await until(() => routed[before]?.data === `${PREFACE}frames`, "the http2 side to read everything");
    expect(routed.slice(before).map((r) => r.side)).toEqual(["http2"]);
    socket.destroy();
  });

  it("decides HTTP/1.1 at the first byte that differs, without waiting for 24", async () => {
    const before = routed.length;
    const socket = await connect();
    await writeSlowly(socket, ["P", "O"]);
    await until(() => routed[before]?.data === "PO", "the http1 side to read 'PO'");
    socket.write("ST / HTTP/1.1\r\n\r\n");
    await until(() => routed[before]?.data === "POST / HTTP/1.1\r\n\r\n", "the rest of the request");
    expect(routed[before]?.side).toBe("http1");
    socket.destroy();
  });

  it("drops a connection that leaves before it decides", async () => {
    const before = { routed: routed.length, closed: closedUnrouted };
    (await connect()).end();
    const partial = await connect();
    partial.end("PRI * HTTP");
    await until(() => closedUnrouted === before.closed + 2, "both connections to be dropped");
    expect(routed.length).toBe(before.routed);
  });
});
