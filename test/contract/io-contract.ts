// The interactive I/O part of the Client contract: attach (stdin, stdout and
// stderr apart, binary data, terminals, resize, several clients, detach),
// CloseStdin, Backend.attachStreams and Logs, against real containers,
// through whichever Client the suite hands in.
import { expect, it } from "vitest";

import type { Backend, IOPipe } from "../../src/backend/backend.js";
import type { AttachInput, AttachOutput, Client } from "../../src/client/client.js";
import { LogStream, Status } from "../../src/client/types.js";
import { AsyncQueue } from "../../src/io/async-queue.js";
import { codeOf } from "../fixtures/code-of.js";
import { repeatUntil, until } from "../fixtures/until.js";

export interface IoContractContext {
  client: Client;
  // id makes a container id that the suite deletes at its end.
  id(name: string): string;
  // clientWith opens another client of the same namespace with a backend.
  clientWith(backend: Backend): Promise<Client>;
}

const text = (b: Uint8Array) => Buffer.from(b).toString("latin1");

// Input is a stream of AttachInput for a test to feed.
export class Input extends AsyncQueue<AttachInput> {
  send(...items: AttachInput[]): void {
    this.push(...items);
  }
}

// Session collects one attach's output as it arrives.
export class Session {
  stdout = "";
  stderr = "";
  bytes: Buffer[] = [];
  exitCode: number | undefined;
  readonly done: Promise<void>;
  constructor(outputs: AsyncIterable<AttachOutput>, readonly order: string[] = []) {
    this.done = (async () => {
      for await (const out of outputs) {
        if (this.exitCode !== undefined) throw new Error("output after the exit status");
        if ("exit" in out) {
          this.exitCode = out.exit.exitCode;
          order.push("exit");
          continue;
        }
        order.push(out.stream === LogStream.STDERR ? "stderr" : "stdout");
        if (out.stream === LogStream.STDERR) this.stderr += text(out.data);
        else {
          this.stdout += text(out.data);
          this.bytes.push(Buffer.from(out.data));
        }
      }
    })();
    this.done.catch(() => {});
  }
  async waitFor(pattern: RegExp | string, what = String(pattern)): Promise<void> {
    await until(() => (typeof pattern === "string" ? this.stdout.includes(pattern) : pattern.test(this.stdout)), `${what} in ${JSON.stringify(this.stdout.slice(-200))}`, 10_000);
  }
}

async function drain(outputs: AsyncIterable<AttachOutput>): Promise<void> {
  for await (const _ of outputs);
}

const readAll = async (s: NodeJS.ReadableStream | null): Promise<string> => {
  let out = "";
  if (s === null) return out;
  for await (const chunk of s) out += Buffer.from(chunk as Buffer).toString("latin1");
  return out;
};

export function ioContract(ctx: () => IoContractContext): void {
  it("attach: stdin reaches the process, stdout and stderr come back apart, the exit status last", async () => {
    const { client, id } = ctx();
    const cid = id("echo");
    await client.create(cid, { process: { args: ["sh", "-c", "echo started; cat; echo bye >&2; exit 7"], stdin: true } });
    const input = new Input();
    const order: string[] = [];
    const s = new Session(client.attach(cid, { input, logs: true }), order);
    input.send(Buffer.from("hello\n"), Buffer.from("world\n"), { closeStdin: true });
    await s.done;
    expect(s.stdout).toBe("started\nhello\nworld\n");
    expect(s.stderr).toBe("bye\n");
    expect(s.exitCode).toBe(7);
    expect(order.at(-1)).toBe("exit");
  });

  it("attach: all 256 byte values round-trip unchanged, newlines and all", async () => {
    const { client, id } = ctx();
    const cid = id("binary");
    await client.create(cid, { process: { args: ["cat"], stdin: true } });
    const data = Buffer.alloc(256 * 64);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 8)) & 0xff;
    const input = new Input();
    const s = new Session(client.attach(cid, { input, logs: true }));
    input.send(data.subarray(0, 5000), data.subarray(5000), { closeStdin: true });
    await s.done;
    expect(s.exitCode).toBe(0);
    expect(Buffer.concat(s.bytes).equals(data)).toBe(true);
  });

  it("attach: several clients at once; one detaching leaves stdin open and the process running", async () => {
    const { client, id } = ctx();
    const cid = id("multi");
    await client.create(cid, { process: { args: ["sh", "-c", "echo ready; while read l; do echo got $l; done; echo eof"], stdin: true } });
    const inA = new Input();
    const detachA = new AbortController();
    const a = new Session(client.attach(cid, { input: inA, logs: true, signal: detachA.signal }));
    const b = new Session(client.attach(cid, { logs: true }));
    await a.waitFor("ready");
    inA.send(Buffer.from("one\n"));
    await a.waitFor("got one");
    await b.waitFor("got one");
    detachA.abort();
    inA.end();
    await a.done;
    expect(a.exitCode).toBeUndefined();
    // A late client without logs sees only what comes after it attached.
    const inC = new Input();
    const c = new Session(client.attach(cid, { input: inC }));
    // C is attached once output caused after it started comes back to it:
    // ping through its own stdin until an answer arrives.
    await repeatUntil(() => inC.send(Buffer.from("ping\n")), () => c.stdout.includes("got ping"), "the late client to see an answer to its ping", 10_000, 100);
    inC.send(Buffer.from("two\n"));
    await b.waitFor("got two");
    await c.waitFor("got two");
    expect(c.stdout).not.toContain("got one");
    expect((await client.state(cid)).status).toBe(Status.RUNNING);
    await client.closeStdin(cid, "init");
    await Promise.all([b.done, c.done]);
    expect(b.stdout).toMatch(/^ready\ngot one\n(got ping\n)+got two\neof\n$/);
    expect(b.exitCode).toBe(0);
    expect(c.exitCode).toBe(0);
  });

  it("CloseStdin ends a cat, with and without a terminal", async () => {
    const { client, id } = ctx();
    for (const terminal of [false, true]) {
      const cid = id(terminal ? "cat-tty" : "cat");
      await client.create(cid, { process: { args: ["cat"], stdin: true, terminal } });
      await client.closeStdin(cid, "init");
      expect((await client.wait(cid)).exitCode).toBe(0);
    }
  });

  it("exec with a terminal: sizes and resizes are seen inside, output comes back, the exit code is the shell's", async () => {
    const { client, id } = ctx();
    const cid = id("tty");
    await client.create(cid, { process: { args: ["sleep", "60"] } });
    await client.addProcess(cid, "sh", { args: ["sh"], terminal: true, stdin: true, consoleSize: { width: 100, height: 30 } });
    const input = new Input();
    const s = new Session(client.attach(cid, { processId: "sh", input, logs: true }));
    input.send(Buffer.from("stty size; echo MARK1\n"));
    await s.waitFor(/30 100\r\n/, "initial size");
    input.send({ resize: { width: 132, height: 43 } }, Buffer.from("stty size; echo MARK2\n"));
    await s.waitFor(/43 132\r\n/, "size after the resize");
    await client.resize(cid, "sh", 90, 20);
    input.send(Buffer.from("stty size; exit 5\n"));
    await s.done;
    expect(s.stdout).toMatch(/20 90\r\n/);
    expect(s.stderr).toBe("");
    expect(s.exitCode).toBe(5);
  });

  it("attach refuses unknown processes and stdin to a process started without it", async () => {
    const { client, id } = ctx();
    const cid = id("refuse");
    await client.create(cid, { process: { args: ["sleep", "60"] } });
    expect(await codeOf(drain(client.attach(cid, { processId: "ghost" })))).toBe("not_found");
    expect(await codeOf(drain(client.attach(id("never-made"))))).toBe("not_found");
    const input = new Input();
    input.send(Buffer.from("x"));
    expect(await codeOf(drain(client.attach(cid, { input })))).toBe("failed_precondition");
    expect(await codeOf(client.closeStdin(cid, "init"))).toBe("failed_precondition");
  });

  it("attach to a process that already exited replays its output (logs) and its exit", async () => {
    const { client, id } = ctx();
    const cid = id("done");
    await client.create(cid, { process: { args: ["sh", "-c", "printf 'a\\nb'; echo c >&2; exit 2"] } });
    await client.wait(cid);
    const s = new Session(client.attach(cid, { logs: true }));
    await s.done;
    expect([s.stdout, s.stderr, s.exitCode]).toEqual(["a\nb", "c\n", 2]);
    const late = new Session(client.attach(cid));
    await late.done;
    expect([late.stdout, late.exitCode]).toEqual(["", 2]);
  });

  it("Backend.attachStreams hands each new process's stdio to the backend", async () => {
    const { id, clientWith } = ctx();
    const pipes = new Map<string, IOPipe>();
    const order: string[] = [];
    const other = await clientWith({
      stateChanged: (cid, st) => void order.push(`${cid}:${st.state}:${st.processId}`),
      attachStreams: (cid, processId, io) => {
        order.push(`${cid}:attach:${processId}`);
        pipes.set(`${cid}/${processId}`, io);
      },
    });
    try {
      const cid = id("backend");
      await other.create(cid, { process: { args: ["sh", "-c", "echo out; echo err >&2; cat"], stdin: true } });
      await until(() => pipes.has(`${cid}/init`), "attachStreams for init", 10_000);
      const init = pipes.get(`${cid}/init`)!;
      expect(init.terminal).toBe(false);
      expect(init.stdin).not.toBeNull();
      const [out, err] = [readAll(init.stdout), readAll(init.stderr)];
      init.stdin!.end("piped\n");
      expect(await out).toBe("out\npiped\n");
      expect(await err).toBe("err\n");
      expect(order.indexOf(`${cid}:attach:init`)).toBeLessThan(order.indexOf(`${cid}:start-container:init`));

      const tid = id("backend-tty");
      await other.create(tid, { process: { args: ["sleep", "60"] } });
      await other.addProcess(tid, "t", { args: ["sh", "-c", "echo tty; echo also >&2"], terminal: true });
      await until(() => pipes.has(`${tid}/t`), "attachStreams for an exec", 10_000);
      const t = pipes.get(`${tid}/t`)!;
      expect([t.terminal, t.stdin, t.stderr]).toEqual([true, null, null]);
      expect(await readAll(t.stdout)).toBe("tty\r\nalso\r\n");
    } finally {
      await other.close();
    }
  });

  it("logs: both streams, one stream, tail, since/until, and follow across a process that prints a line a second", async () => {
    const { client, id } = ctx();
    const cid = id("logs");
    await client.create(cid, { process: { args: ["sh", "-c", "for i in 1 2 3; do echo line $i; echo warn $i >&2; sleep 1; done"] } });
    const followed: string[] = [];
    const started = Date.now();
    for await (const l of client.logs(cid, { follow: true, stdout: true })) followed.push(Buffer.from(l.line).toString());
    expect(followed).toEqual(["line 1", "line 2", "line 3"]);
    expect(Date.now() - started).toBeGreaterThan(1500);
    const all: { time: Date; text: string }[] = [];
    for await (const l of client.logs(cid)) all.push({ time: l.time, text: `${l.stream}:${Buffer.from(l.line).toString()}` });
    expect(all.map((l) => l.text)).toEqual(["1:line 1", "2:warn 1", "1:line 2", "2:warn 2", "1:line 3", "2:warn 3"]);
    const tail: string[] = [];
    for await (const l of client.logs(cid, { tail: 2, stderr: true })) tail.push(Buffer.from(l.line).toString());
    expect(tail).toEqual(["warn 2", "warn 3"]);
    const window: string[] = [];
    for await (const l of client.logs(cid, { stdout: true, since: all[2]!.time, until: all[3]!.time })) window.push(Buffer.from(l.line).toString());
    expect(window).toEqual(["line 2"]);
  });
}
