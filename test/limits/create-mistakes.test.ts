// Create's mistakes that used to reach the disk or runc, through a real
// daemon over gRPC: a rootfs.path that exists but is no folder, a NUL in a
// path, an oci_spec_json with an rlimit runc does not know or a null where
// an object belongs. Each is INVALID_ARGUMENT saying what to fix; a rootfs
// path that does not exist stays NOT_FOUND.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createGrpcJsClient, type GrpcJsClient } from "../fixtures/grpc-js-client.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";

let daemon: TestDaemon;
let client: GrpcJsClient;
let dir: string;

beforeAll(async () => {
  daemon = await startTestDaemon("createmis");
  client = createGrpcJsClient(daemon.socketPath);
  dir = await mkdtemp(join(tmpdir(), "berth-createmis-"));
});

afterAll(async () => {
  client?.close();
  await daemon?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function create(request: object) {
  try {
    await client.unary("ContainerService", "Create", { id: daemon.id("c"), ...request }, { deadlineMs: 20_000 });
    return { code: grpc.status.OK, details: "" };
  } catch (err) {
    const e = err as grpc.ServiceError;
    return { code: e.code, details: e.details };
  }
}

const spec = (process: object) =>
  Buffer.from(JSON.stringify({ process: { args: ["true"], ...process }, mounts: [{ destination: "/proc", type: "proc", source: "proc" }] }));

describe("mounts", () => {
  it.each([
    ["a folder onto the file /etc/passwd", "folder", "/etc/passwd"],
    ["a file onto the folder /etc", "file", "/etc"],
  ])("%s is INVALID_ARGUMENT with runc's words, and leaves nothing behind", async (_what, kind, destination) => {
    const source = join(dir, `mount-${kind}`);
    if (kind === "file") await writeFile(source, "x");
    else await mkdir(source, { recursive: true });
    const answer = await create({ process: { args: ["true"] }, mounts: [{ source, destination }] });
    expect(answer.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(answer.details).toContain(`error mounting "${source}" to rootfs at "${destination}"`);
    expect(answer.details).toMatch(/not a directory$/);
  });
});

describe("rootfs", () => {
  it("rootfs.path naming a file is INVALID_ARGUMENT", async () => {
    const file = join(dir, "a-file");
    await writeFile(file, "not a root filesystem");
    const answer = await create({ process: { args: ["true"] }, rootfs: { path: file } });
    expect(answer.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(answer.details).toBe(`rootfs.path "${file}" is a file: give a folder holding a root filesystem (for a tar archive, use rootfs.image_path)`);
  });

  it("rootfs.path naming a device is INVALID_ARGUMENT", async () => {
    const answer = await create({ process: { args: ["true"] }, rootfs: { path: "/dev/null" } });
    expect(answer.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(answer.details).toContain('rootfs.path "/dev/null" is a device: give a folder holding a root filesystem');
  });

  it("rootfs.path that does not exist stays NOT_FOUND", async () => {
    const answer = await create({ process: { args: ["true"] }, rootfs: { path: join(dir, "nothing-here") } });
    expect(answer.code).toBe(grpc.status.NOT_FOUND);
  });

  it("a NUL in rootfs.image_path, rootfs.path, a mount or the cwd is INVALID_ARGUMENT", async () => {
    const cases: [object, string][] = [
      [{ process: { args: ["true"] }, rootfs: { imagePath: "/tmp/a\u0000b.tar" } }, "rootfs.image_path"],
      [{ process: { args: ["true"] }, rootfs: { path: "/tmp/a\u0000b" } }, "rootfs.path"],
      [{ process: { args: ["true"] }, mounts: [{ source: "/tmp\u0000", destination: "/mnt" }] }, "mounts[0].source"],
      [{ process: { args: ["true"], cwd: "/tmp\u0000" } }, "process.cwd"],
    ];
    for (const [request, field] of cases) {
      const answer = await create(request);
      expect(answer.code, field).toBe(grpc.status.INVALID_ARGUMENT);
      expect(answer.details).toMatch(new RegExp(`^${field.replace(/[.[\]]/g, "\\$&")} .* contains a NUL character: give a path without one$`));
    }
  });
});

describe("oci_spec_json", () => {
  it("an rlimit type runc does not know is INVALID_ARGUMENT, not runc's failure", async () => {
    const answer = await create({ ociSpecJson: spec({ rlimits: [{ type: "RLIMIT_BOGUS", hard: 1, soft: 1 }] }) });
    expect(answer.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(answer.details).toContain("/process/rlimits/0/type must be one of");
  });

  it("process.user null is INVALID_ARGUMENT, not the default user", async () => {
    const answer = await create({ ociSpecJson: spec({ user: null }) });
    expect(answer.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(answer.details).toBe("oci_spec_json: /process/user must be object");
  });
});
