// A file capability in an image keeps working in a user-namespaced
// container (real runc and conmon): the owner shift's chown drops the
// security.capability xattr, and berth writes it back made for the
// container's root. An image whose layer holds a copy of busybox with
// cap_net_bind_service=ep (a v2 value, as setcap on a build host writes
// it), run as a non-root user without no_new_privileges (under which no
// exec gains file capabilities, in any container): the capped binary runs
// with the capability, the plain one without.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { getAttribute } from "@napi-rs/xattr";

import type { Client } from "../../src/client/client.js";
import { UsernsMode } from "../../src/gen/berth/v1/security_pb.js";
import { buildDefaultSpec } from "../../src/spec/default-spec.js";
import { APP_GID, APP_UID, baseLayers, chunksOf, ociArchive } from "../fixtures/busybox-images.js";
import { buildImage, buildLayer } from "../fixtures/oci-image.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";
import { messageOf } from "../fixtures/code-of.js";

// Apart from the other userns suites' ranges (userns-contract.ts).
const RANGE = { start: 1_900_000_000, count: 2 * 65536 };
const IMAGE = "berth.test/filecaps:1";
// struct vfs_cap_data v2 with the effective flag: CAP_NET_BIND_SERVICE
// (bit 10) permitted, nothing inheritable. Every byte is below 0x80, so
// the pax record's text holds it as is.
const CAP_V2 = Buffer.from([0x01, 0, 0, 0x02, 0, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
const NET_BIND_SERVICE = "0000000000000400";

describe("a file capability in an image, in a user-namespaced container", { timeout: 60_000 }, () => {
  let d: TestDaemon;
  let client: Client;

  beforeAll(async () => {
    d = await startTestDaemon("uns-caps", { serve: false, subuidRange: `${RANGE.start}:${RANGE.count}` });
    client = await d.remote.client(undefined, { namespace: d.namespace });
    const top = await buildLayer([{ name: "bin/busyboxcap", content: readFileSync("/bin/busybox"), mode: 0o755, pax: { "SCHILY.xattr.security.capability": CAP_V2.toString("latin1") } }]);
    await client.loadImages(chunksOf(await ociArchive([{ image: buildImage([...(await baseLayers()), top]), name: IMAGE }])));
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await d?.stop();
  });

  // specOf runs args as the image's user "app", with no_new_privileges off.
  const specOf = (args: string[]) => {
    const spec = buildDefaultSpec({ process: { args }, rootfsPath: "/unused" });
    spec.process = { ...spec.process!, user: { uid: APP_UID, gid: APP_GID }, noNewPrivileges: false, env: ["PATH=/bin"] };
    return new TextEncoder().encode(JSON.stringify(spec));
  };
  const effective = async (args: string[]) => {
    const id = d.id("caps");
    const c = await client.create(id, { image: IMAGE, security: { userns: { mode: UsernsMode.AUTO } }, ociSpecJson: specOf(args) });
    try {
      expect((await client.wait(id)).exitCode).toBe(0);
      let out = "";
      for await (const l of client.logs(id)) out += `${Buffer.from(l.line).toString()}\n`;
      const upper = join(d.stateDir, "containers", d.namespace, id, "upper", "bin", "busyboxcap");
      return { out, hostRoot: c.userns!.uidMappings[0]!.hostId, upperCaps: await getAttribute(upper, "security.capability") };
    } finally {
      await client.delete(id, { force: true });
    }
  };

  it("the capped binary runs with its capability as a non-root user; the same busybox without the xattr gets none", async () => {
    const capped = await effective(["/bin/busyboxcap", "grep", "^CapEff", "/proc/self/status"]);
    expect(capped.out).toMatch(new RegExp(`^CapEff:\\s+${NET_BIND_SERVICE}$`, "m"));
    // Stored as the kernel stores a setcap by the container's root: v3,
    // rootid the host uid of the container's root.
    expect(capped.upperCaps?.readUInt32LE(0)).toBe(0x03000001);
    expect(capped.upperCaps?.readUInt32LE(20)).toBe(capped.hostRoot);
    const plain = await effective(["/bin/busybox", "grep", "^CapEff", "/proc/self/status"]);
    expect(plain.out).toMatch(/^CapEff:\s+0000000000000000$/m);
  });

  it("with oci_spec_json, userns is the one security option taken; any other is still INVALID_ARGUMENT", async () => {
    const id = d.id("spec-caps");
    const call = client.create(id, { image: IMAGE, security: { userns: { mode: UsernsMode.AUTO }, capAdd: ["NET_ADMIN"] }, ociSpecJson: specOf(["true"]) });
    expect(await messageOf(call)).toMatch(/security \(but userns\) applies to the spec berth builds/);
    expect((await client.list()).map((c) => c.id)).not.toContain(id);
  });
});
