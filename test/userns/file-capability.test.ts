// File capabilities through the owner shift: the value the chown drops is
// written back as v3 with the rootid of the container's root (what the
// kernel honours in that user namespace), from each form the kernel has
// (v1, v2, v3); what the kernel would not take, or a root with no id in
// the container, is not written. And on a real tree: a file made with
// setcap keeps its capabilities, made for the container's root.
import { execFileSync } from "node:child_process";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { getAttribute } from "@napi-rs/xattr";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { CAPABILITY_XATTR, shiftCapability } from "../../src/userns/file-capability.js";
import { shiftOwnership } from "../../src/userns/shift-ownership.js";

const MAP = [{ containerId: 0, hostId: 3_000_000_000, size: 65536 }];
const MAPS = { uid: MAP, gid: MAP };
// CAP_NET_BIND_SERVICE (10) and CAP_NET_RAW (13), permitted.
const PERMITTED = (1 << 10) | (1 << 13);

function value(magic: number, words: number[]): Buffer {
  const b = Buffer.alloc(4 + 4 * words.length);
  b.writeUInt32LE(magic >>> 0, 0);
  words.forEach((w, i) => b.writeUInt32LE(w >>> 0, 4 + 4 * i));
  return b;
}

// v3 is what the kernel stores for a setcap by the container's root.
const v3 = (flags: number, permitted: number, inheritable: number, rootid: number) => value(0x03000000 | flags, [permitted, inheritable, 0, 0, rootid]);

describe("a file capability shifted for a user namespace", () => {
  it("turns v2 (root of the filesystem's namespace) into v3 rootid the container root's host uid, keeping the effective flag and both sets", () => {
    const v2 = value(0x02000001, [PERMITTED, 1 << 5, 1, 0]);
    expect(shiftCapability(v2, MAPS)).toEqual(value(0x03000001, [PERMITTED, 1 << 5, 1, 0, 3_000_000_000]));
  });

  it("turns v1 (one word of each set) into v3, and a v3 rootid is mapped like an owner", () => {
    expect(shiftCapability(value(0x01000000, [PERMITTED, 0]), MAPS)).toEqual(v3(0, PERMITTED, 0, 3_000_000_000));
    expect(shiftCapability(v3(1, PERMITTED, 0, 1000), MAPS)).toEqual(v3(1, PERMITTED, 0, 3_000_001_000));
  });

  it("writes nothing for a v3 root with no id in the container, a size that does not fit the revision, or an unknown revision", () => {
    expect(shiftCapability(v3(1, PERMITTED, 0, 70000), MAPS)).toBeUndefined();
    expect(shiftCapability(value(0x02000000, [PERMITTED, 0]), MAPS)).toBeUndefined();
    expect(shiftCapability(value(0x04000000, [PERMITTED, 0, 0, 0]), MAPS)).toBeUndefined();
    expect(shiftCapability(Buffer.alloc(2), MAPS)).toBeUndefined();
  });
});

describe("the owner shift of a tree with a file capability", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "berth-filecaps-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps setcap's capability on the shifted file, made for the container's root (getcap reads it back), and leaves other files without one", async () => {
    await copyFile("/bin/true", join(dir, "capped"));
    await copyFile("/bin/true", join(dir, "plain"));
    execFileSync("setcap", ["cap_net_bind_service,cap_net_raw=ep", join(dir, "capped")]);
    await shiftOwnership(dir, MAPS);
    const stored = await getAttribute(join(dir, "capped"), CAPABILITY_XATTR);
    expect(stored).toEqual(v3(1, PERMITTED, 0, 3_000_000_000));
    expect(await getAttribute(join(dir, "plain"), CAPABILITY_XATTR)).toBeNull();
    expect(execFileSync("getcap", [join(dir, "capped")], { encoding: "utf8" })).toContain("cap_net_bind_service,cap_net_raw=ep");
  });
});
