// User namespaces (issue 14, item 3) against real runc and conmon, through
// whichever Client the suite hands in: in an auto container root inside is
// an unprivileged uid of the daemon's subordinate range on the host, files
// it writes to a bind mount are that uid's, two containers get disjoint
// blocks, exec, attach (with and without a terminal), copy and stats work
// the same inside, Inspect and the Container show the mapping, and every
// bad mapping is INVALID_ARGUMENT before runc runs.
import { chmod, lstat, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Client, CreateOptions } from "../../src/client/client.js";
import { UsernsMode } from "../../src/gen/berth/v1/security_pb.js";
import { codeOf, messageOf } from "../fixtures/code-of.js";
import { until } from "../fixtures/until.js";
import type { ContractSetup } from "../contract/client-contract.js";
import { Input, Session } from "../contract/io-contract.js";
import tar from "tar-stream";

// The suites' own subordinate range, so their blocks are not another
// suite's: tests run in parallel on one host.
export const USERNS_TEST_RANGE = { start: 1_500_000_000, count: 8 * 65536 };

const AUTO: CreateOptions["security"] = { userns: { mode: UsernsMode.AUTO } };

// tarOwners lists each entry's name and owner.
async function tarOwners(source: AsyncIterable<Uint8Array>): Promise<Array<{ name: string; uid: number; gid: number }>> {
  const extract = tar.extract();
  const out: Array<{ name: string; uid: number; gid: number }> = [];
  const feeding = (async () => {
    for await (const chunk of source) extract.write(chunk);
    extract.end();
  })();
  for await (const entry of extract) {
    out.push({ name: entry.header.name, uid: entry.header.uid ?? -1, gid: entry.header.gid ?? -1 });
    entry.resume();
  }
  await feeding;
  return out;
}

// hostIdsOf reads the Uid: and Gid: lines of a host process.
async function hostIdsOf(pid: number): Promise<{ uid: number; gid: number }> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const first = (key: string) => Number(status.match(new RegExp(`^${key}:\\s+(\\d+)`, "m"))?.[1]);
  return { uid: first("Uid"), gid: first("Gid") };
}

export function usernsContract(name: string, setup: () => Promise<ContractSetup>, teardown: () => Promise<void>, range = USERNS_TEST_RANGE): void {
  describe(`user namespaces: ${name}`, { timeout: 60_000 }, () => {
    let s: ContractSetup;
    let client: Client;
    let shared: string;
    const made = new Set<string>();
    const id = (n: string) => {
      const v = s.daemon.id(n);
      made.add(v);
      return v;
    };
    const output = async (cid: string, processId?: string) => {
      const lines: string[] = [];
      for await (const l of client.logs(cid, processId === undefined ? {} : { processId })) lines.push(Buffer.from(l.line).toString());
      return lines.join("\n");
    };
    const remove = async (cid: string) => {
      await client.delete(cid, { force: true });
      made.delete(cid);
    };

    beforeAll(async () => {
      s = await setup();
      client = await s.client();
      shared = await mkdtemp(join(tmpdir(), "berth-userns-"));
      // Writable by the container's root, an unprivileged host uid.
      await chmod(shared, 0o777);
    });

    afterAll(async () => {
      for (const cid of made) await client.delete(cid, { force: true }).catch(() => {});
      await client.close();
      await teardown();
      await rm(shared, { recursive: true, force: true });
    });

    it("in an auto container id says root, the host sees the process under the block's first uid, and Inspect and the Container show the mapping", async () => {
      const cid = id("root");
      const started = await client.create(cid, { security: AUTO, process: { args: ["sh", "-c", "id; cat /proc/self/uid_map; sleep 30"] } });
      const map = started.userns?.uidMappings[0];
      expect(started.userns?.mode).toBe(UsernsMode.AUTO);
      expect(map?.containerId).toBe(0);
      expect(map?.size).toBe(65536);
      expect(map?.hostId).toBeGreaterThanOrEqual(range.start);
      expect(map!.hostId + map!.size).toBeLessThanOrEqual(range.start + range.count);
      await until(async () => (await output(cid)).includes("uid=0(root) gid=0(root)"), "id's output");
      expect(await output(cid)).toMatch(new RegExp(`^\\s*0\\s+${map!.hostId}\\s+65536\\s*$`, "m"));
      expect(await hostIdsOf(started.pid)).toEqual({ uid: map!.hostId, gid: started.userns!.gidMappings[0]!.hostId });
      const { container, config } = await client.inspect(cid);
      expect(container.userns?.uidMappings).toEqual(started.userns?.uidMappings);
      expect(config.security?.userns?.mode).toBe(UsernsMode.AUTO);
      expect(config.security?.userns?.uidMappings[0]?.hostId).toBe(map!.hostId);
      await remove(cid);
    });

    it("a file the container makes in a bind mount is owned on the host by the mapped uid and gid; the root filesystem's files are root's inside", async () => {
      const cid = id("bind");
      const started = await client.create(cid, {
        security: AUTO,
        mounts: [{ source: shared, destination: "/shared" }],
        process: { args: ["sh", "-c", `touch /shared/${cid}; mkdir /made-here; stat -c '%u:%g %n' / /bin/busybox /etc/passwd /made-here`] },
      });
      expect((await client.wait(cid)).exitCode).toBe(0);
      const host = started.userns!.uidMappings[0]!.hostId;
      const st = await lstat(join(shared, cid));
      expect({ uid: st.uid, gid: st.gid }).toEqual({ uid: host, gid: started.userns!.gidMappings[0]!.hostId });
      const out = await output(cid);
      for (const path of ["/", "/bin/busybox", "/etc/passwd", "/made-here"]) expect(out).toContain(`0:0 ${path}`);
      await remove(cid);
    });

    it("two auto containers get disjoint blocks, and a block is free again once its container is deleted", async () => {
      const a = id("disjoint-a");
      const b = id("disjoint-b");
      const ca = await client.create(a, { security: AUTO, start: false, process: { args: ["true"] } });
      const cb = await client.create(b, { security: { userns: { mode: UsernsMode.AUTO, size: 1000 } }, start: false, process: { args: ["true"] } });
      const ma = ca.userns!.uidMappings[0]!;
      const mb = cb.userns!.uidMappings[0]!;
      expect(mb.size).toBe(1000);
      expect(ma.hostId + ma.size <= mb.hostId || mb.hostId + mb.size <= ma.hostId).toBe(true);
      await remove(b);
      const c = id("disjoint-c");
      const cc = await client.create(c, { security: { userns: { mode: UsernsMode.AUTO, size: 1000 } }, start: false, process: { args: ["true"] } });
      expect(cc.userns!.uidMappings[0]!.hostId).toBe(mb.hostId);
      await remove(a);
      await remove(c);
    });

    it("exec runs as root inside the namespace, copy maps owners both ways, and stats read the container's cgroup", async () => {
      const cid = id("ops");
      const started = await client.create(cid, { security: AUTO, process: { args: ["sleep", "30"] } });
      const host = started.userns!.uidMappings[0]!.hostId;
      await client.addProcess(cid, "who", { args: ["sh", "-c", "id -u; cat /proc/self/uid_map"] });
      expect((await client.wait(cid, { processId: "who" })).exitCode).toBe(0);
      expect(await output(cid, "who")).toMatch(new RegExp(`^0\\n\\s*0\\s+${host}\\s+65536`));
      const exec = await client.addProcess(cid, "sleeper", { args: ["sleep", "30"] });
      expect((await hostIdsOf(exec.pid)).uid).toBe(host);

      await client.copyTo(cid, "/tmp", { path: "mine", content: "x\n", uid: 1000, gid: 1001 });
      await client.copyTo(cid, "/tmp", { path: "roots", content: "y\n" });
      const mine = await lstat(`/proc/${started.pid}/root/tmp/mine`);
      expect({ uid: mine.uid, gid: mine.gid }).toEqual({ uid: host + 1000, gid: started.userns!.gidMappings[0]!.hostId + 1001 });
      expect((await lstat(`/proc/${started.pid}/root/tmp/roots`)).uid).toBe(host);
      await client.addProcess(cid, "ls", { args: ["stat", "-c", "%u:%g", "/tmp/mine", "/tmp/roots"] });
      await client.wait(cid, { processId: "ls" });
      expect(await output(cid, "ls")).toBe("1000:1001\n0:0");
      const copied = await client.copyFrom(cid, "/tmp/mine");
      expect({ uid: copied.stat.uid, gid: copied.stat.gid }).toEqual({ uid: 1000, gid: 1001 });
      const entries = await tarOwners(copied.tar);
      expect(entries.find((e) => e.name === "mine")).toMatchObject({ uid: 1000, gid: 1001 });
      expect(await codeOf(client.copyTo(cid, "/tmp", { path: "far", content: "", uid: 70000 }))).toBe("invalid_argument");

      const stats = await client.stats(cid);
      expect(stats.pids?.current ?? 0n).toBeGreaterThan(0n);
      expect(stats.memory?.usageBytes ?? 0n).toBeGreaterThan(0n);
      await remove(cid);
    });

    it("attach works inside: stdin reaches the init and output and the exit status come back; an exec'd shell on a terminal runs as root, sees its size and its resize", async () => {
      const cid = id("attach");
      await client.create(cid, { security: AUTO, process: { args: ["sh", "-c", "id -u; cat; echo bye >&2; exit 3"], stdin: true } });
      const input = new Input();
      const init = new Session(client.attach(cid, { input, logs: true }));
      input.send(Buffer.from("through-stdin\n"), { closeStdin: true });
      await init.done;
      expect(init.stdout).toBe("0\nthrough-stdin\n");
      expect(init.stderr).toBe("bye\n");
      expect(init.exitCode).toBe(3);
      await remove(cid);

      const tid = id("attach-tty");
      await client.create(tid, { security: AUTO, process: { args: ["sleep", "60"] } });
      await client.addProcess(tid, "sh", { args: ["sh"], terminal: true, stdin: true, consoleSize: { width: 100, height: 30 } });
      const tin = new Input();
      const tty = new Session(client.attach(tid, { processId: "sh", input: tin, logs: true }));
      tin.send(Buffer.from("id -u; tty; stty size\n"));
      await tty.waitFor(/30 100\r\n/, "the initial size");
      expect(tty.stdout).toMatch(/\r\n0\r\n\/dev\/pts\/\d+\r\n/);
      tin.send({ resize: { width: 132, height: 43 } }, Buffer.from("stty size; exit 4\n"));
      await tty.done;
      expect(tty.stdout).toMatch(/43 132\r\n/);
      expect(tty.exitCode).toBe(4);
      await remove(tid);
    });

    it("explicit mappings are used as given, and in host network mode (no sysfs of its own) /sys is the host's, read-only", async () => {
      const cid = id("explicit");
      const map = [{ containerId: 0, hostId: 2_000_000_000, size: 65536 }];
      const started = await client.create(cid, {
        network: "host",
        security: { userns: { mode: UsernsMode.MAPPINGS, uidMappings: map, gidMappings: map } },
        process: { args: ["sh", "-c", "cat /proc/self/uid_map; ls /sys/kernel >/dev/null && echo sys=ok; touch /sys/x 2>/dev/null || echo sys=ro"] },
      });
      expect((await client.wait(cid)).exitCode).toBe(0);
      const out = await output(cid);
      expect(out).toMatch(/^\s*0\s+2000000000\s+65536\s*$/m);
      expect(out).toContain("sys=ok");
      expect(out).toContain("sys=ro");
      expect(started.userns?.mode).toBe(UsernsMode.MAPPINGS);
      await remove(cid);
    });

    it.each([
      ["overlapping container ranges", { mode: UsernsMode.MAPPINGS, uidMappings: [{ containerId: 0, hostId: 2_000_000_000, size: 10 }, { containerId: 5, hostId: 2_100_000_000, size: 10 }], gidMappings: [{ containerId: 0, hostId: 2_000_000_000, size: 10 }] }, /overlap/],
      ["overlapping host ranges", { mode: UsernsMode.MAPPINGS, uidMappings: [{ containerId: 0, hostId: 2_000_000_000, size: 10 }, { containerId: 100, hostId: 2_000_000_005, size: 10 }], gidMappings: [{ containerId: 0, hostId: 2_000_000_000, size: 10 }] }, /overlap/],
      ["a range past the largest id", { mode: UsernsMode.MAPPINGS, uidMappings: [{ containerId: 0, hostId: 4_294_967_000, size: 65536 }], gidMappings: [{ containerId: 0, hostId: 2_000_000_000, size: 10 }] }, /largest id/],
      ["a size of 0", { mode: UsernsMode.MAPPINGS, uidMappings: [{ containerId: 0, hostId: 2_000_000_000, size: 0 }], gidMappings: [{ containerId: 0, hostId: 2_000_000_000, size: 10 }] }, /size is 0/],
      ["no mapping of root", { mode: UsernsMode.MAPPINGS, uidMappings: [{ containerId: 1, hostId: 2_000_000_000, size: 10 }], gidMappings: [{ containerId: 0, hostId: 2_000_000_000, size: 10 }] }, /container id 0/],
      ["uid mappings without gid mappings", { mode: UsernsMode.MAPPINGS, uidMappings: [{ containerId: 0, hostId: 2_000_000_000, size: 10 }] }, /both/],
      ["mappings with mode auto", { mode: UsernsMode.AUTO, uidMappings: [{ containerId: 0, hostId: 2_000_000_000, size: 10 }] }, /USERNS_MODE_MAPPINGS/],
      ["a size with mode host", { mode: UsernsMode.HOST, size: 10 }, /only for mode/],
      ["an unknown mode", { mode: 9 }, /UsernsMode/],
      ["an auto size over the whole range", { mode: UsernsMode.AUTO, size: range.count + 1 }, /whole subordinate range/],
      ["host ids in the daemon's subordinate range", { mode: UsernsMode.MAPPINGS, uidMappings: [{ containerId: 0, hostId: range.start + 10, size: 10 }], gidMappings: [{ containerId: 0, hostId: 2_000_000_000, size: 10 }] }, /subordinate range/],
    ] as const)("%s is INVALID_ARGUMENT and leaves nothing", async (_what, userns, message) => {
      const cid = id("bad");
      const call = client.create(cid, { security: { userns: userns as NonNullable<CreateOptions["security"]>["userns"] }, process: { args: ["true"] } });
      expect(await messageOf(call)).toMatch(message);
      expect(await codeOf(client.create(cid, { security: { userns: userns as NonNullable<CreateOptions["security"]>["userns"] }, process: { args: ["true"] } }))).toBe("invalid_argument");
      expect((await client.list()).map((c) => c.id)).not.toContain(cid);
      made.delete(cid);
    });

    it("privileged with a user namespace of its own is INVALID_ARGUMENT", async () => {
      const cid = id("priv");
      expect(await codeOf(client.create(cid, { security: { privileged: true, userns: { mode: UsernsMode.AUTO } }, process: { args: ["true"] } }))).toBe("invalid_argument");
      made.delete(cid);
    });
  });
}
