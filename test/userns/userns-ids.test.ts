// The ids of user namespaces without a container: the daemon's range
// setting and its check against /etc/subuid and /etc/subgid, the blocks
// handed out from it, and a tree's owners shifted by a mapping.
import { chmod, lchown, lstat, mkdir, mkdtemp, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { toContainerId, toHostId } from "../../src/api/id-mapping.js";
import { RangeAllocator } from "../../src/userns/range-allocator.js";
import { shiftOwnership } from "../../src/userns/shift-ownership.js";
import { checkAgainstHost, parseSubordinateRange } from "../../src/userns/subordinate-range.js";
import { codeOf } from "../fixtures/code-of.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-userns-ids-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the subordinate range setting", () => {
  it("reads START:COUNT and refuses what is malformed, too low, too small or past the largest id", () => {
    expect(parseSubordinateRange("1000000000:655360000")).toEqual({ start: 1_000_000_000, count: 655_360_000 });
    for (const bad of ["", "1000", "a:b", "1000000000:", "-1:65536", "100:65536", "1000000000:100", "4294000000:1000000"]) {
      expect(() => parseSubordinateRange(bad), bad).toThrow();
    }
  });

  it("refuses a range that meets an entry of a subuid file, and takes one clear of every entry", async () => {
    const file = join(dir, "subuid");
    await writeFile(file, "# users\nalice:100000:65536\nbob:1000065536:65536\n");
    expect(await codeOf(checkAgainstHost({ start: 1_000_000_000, count: 655_360_000 }, [file]))).toBe("invalid_argument");
    await expect(checkAgainstHost({ start: 1_000_000_000, count: 65536 }, [file])).resolves.toBeUndefined();
    await expect(checkAgainstHost({ start: 1_000_000_000, count: 65536 }, [join(dir, "missing")])).resolves.toBeUndefined();
  });
});

describe("the blocks of the range", () => {
  it("hands out the lowest free block, disjoint from those held, reserved or freed", () => {
    const a = new RangeAllocator({ start: 1_000_000, count: 4 * 65536 });
    a.reserve("ns/kept", { start: 1_000_000 + 65536, size: 65536 });
    expect(a.allocate("ns/a", 65536)).toEqual({ start: 1_000_000, size: 65536 });
    expect(a.allocate("ns/b", 1000)).toEqual({ start: 1_000_000 + 2 * 65536, size: 1000 });
    a.release("ns/a");
    expect(a.allocate("ns/c", 65536)).toEqual({ start: 1_000_000, size: 65536 });
    expect(a.allocate("ns/d", 65536)).toEqual({ start: 1_000_000 + 2 * 65536 + 1000, size: 65536 });
  });

  it("says RESOURCE_EXHAUSTED when no block fits and INVALID_ARGUMENT for a size over the whole range", async () => {
    const a = new RangeAllocator({ start: 1_000_000, count: 2 * 65536 });
    a.allocate("ns/a", 65536);
    a.allocate("ns/b", 65536);
    expect(await codeOf(Promise.resolve().then(() => a.allocate("ns/c", 1)))).toBe("resource_exhausted");
    expect(await codeOf(Promise.resolve().then(() => a.allocate("ns/d", 3 * 65536)))).toBe("invalid_argument");
  });
});

describe("a tree's owners shifted by a mapping", () => {
  it("maps each entry's owner, symlinks themselves, keeps set-uid bits, and leaves unmapped ids", async () => {
    const root = join(dir, "tree");
    await mkdir(join(root, "sub"), { recursive: true });
    await writeFile(join(root, "sub", "tool"), "#!/bin/sh\n");
    await chmod(join(root, "sub", "tool"), 0o4755);
    await writeFile(join(root, "far"), "");
    await lchown(join(root, "far"), 70000, 70000);
    await symlink("/nowhere", join(root, "link"));
    await lchown(join(root, "sub"), 1000, 1001);
    const map = [{ containerId: 0, hostId: 3_000_000_000, size: 65536 }];
    const result = await shiftOwnership(root, { uid: map, gid: map });
    expect(result.entries).toBe(5);
    expect((await stat(root)).uid).toBe(3_000_000_000);
    expect(await lstat(join(root, "sub")).then((s) => [s.uid, s.gid])).toEqual([3_000_001_000, 3_000_001_001]);
    const tool = await lstat(join(root, "sub", "tool"));
    expect([tool.uid, tool.mode & 0o7777]).toEqual([3_000_000_000, 0o4755]);
    expect((await lstat(join(root, "link"))).uid).toBe(3_000_000_000);
    expect((await lstat(join(root, "far"))).uid).toBe(70000);
  });

  it("maps ids both ways across several ranges", () => {
    const map = [
      { containerId: 0, hostId: 5000, size: 10 },
      { containerId: 100, hostId: 9000, size: 1 },
    ];
    expect([toHostId(map, 0), toHostId(map, 9), toHostId(map, 10), toHostId(map, 100)]).toEqual([5000, 5009, undefined, 9000]);
    expect([toContainerId(map, 5009), toContainerId(map, 9000), toContainerId(map, 4999)]).toEqual([9, 100, undefined]);
  });
});
