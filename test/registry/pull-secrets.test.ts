// Credentials stay in the credentials file: a daemon in its own process
// logs in to a docker-registry with htpasswd Basic auth (once refused, once
// accepted), pulls, and is restarted; the password, and the Basic header
// made of it, appear in no event of the stream (replayed from sequence 0
// after the restart, so the journal on disk is read too), in nothing the
// daemon wrote to its stdout or stderr (its log at debug, a line per
// call, included), and in no file of the state
// directory but the 0600 credentials file.
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";

import { toJsonString } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { EventSchema, EventType } from "../../src/client/types.js";
import { builtDist, DaemonProcess, daemonPlace, finish, type DaemonPlace } from "../durability/daemon-process.js";
import { readEvents } from "../durability/events.js";
import { failure, scratch, type Scratch } from "./registry-fixtures.js";
import { PASSWORD, startRegistry, USER, type TestRegistry } from "./registry-process.js";
import { buildTestImage, type TestImage } from "./test-image.js";

const WRONG = "wrong-Pa55word-9";
// Every form a secret could leak in: as typed, and as a Basic header.
const SECRETS = [PASSWORD, WRONG, Buffer.from(`${USER}:${PASSWORD}`).toString("base64"), Buffer.from(`${USER}:${WRONG}`).toString("base64")];

describe("registry credentials", { timeout: 120_000 }, () => {
  let place: DaemonPlace;
  let daemon: DaemonProcess | undefined;
  let registry: TestRegistry;
  let image: TestImage;
  let layouts: Scratch;

  beforeAll(async () => {
    await builtDist();
    layouts = await scratch("secrets-layout");
    image = await buildTestImage(join(layouts.dir, "layout"), "secrets");
    registry = await startRegistry("htpasswd");
    await registry.push(image.layout, "private/busybox");
    place = daemonPlace("pullsecrets");
  }, 180_000);

  afterAll(async () => {
    await finish(place, daemon);
    await registry?.stop();
    await layouts?.remove();
  });

  const leaksIn = (text: string) => SECRETS.filter((s) => text.includes(s));

  it("never appear in an event, in the daemon's output or in a state file but the 0600 credentials file", async () => {
    daemon = await DaemonProcess.start(place, { logLevel: "debug" });
    const first = daemon;
    let client = await daemon.client();
    const refused = await failure(client.login(registry.host, { username: USER, password: WRONG }));
    expect([refused.code, leaksIn(refused.message)]).toEqual(["unauthenticated", []]);
    expect(await client.login(registry.host, { username: USER, password: PASSWORD })).toEqual({ server: registry.host });
    expect((await client.pull(`${registry.host}/private/busybox:latest`)).digest).toBe(image.manifest.digest);
    // A refused pull says why without the credentials it sent.
    const missing = await failure(client.pull(`${registry.host}/private/none:latest`));
    expect(leaksIn(missing.message)).toEqual([]);
    await client.close();
    await daemon.kill("SIGTERM");

    daemon = await DaemonProcess.start(place, { logLevel: "debug" });
    client = await daemon.client();
    const events = await readEvents(client, 0n);
    await client.close();
    await daemon.kill("SIGTERM");
    // The pull's own event is there, with what it may say.
    expect(events.filter((e) => e.type === EventType.IMAGE_PULL).map((e) => [e.image, e.imageId])).toEqual([[`${registry.host}/private/busybox:latest`, image.config.digest]]);
    expect(leaksIn(events.map((e) => toJsonString(EventSchema, e)).join("\n"))).toEqual([]);
    // Both daemons' output, the one that logged in as much as the one after.
    const printed = [first, daemon].map((d) => `${d.stdout}\n${d.stderr}`).join("\n");
    // The log did have its say: a line for the login refused and the one let in.
    const rpcLines = printed.split("\n").filter((l) => l.startsWith("{") && l.includes('"rpc":'));
    expect(rpcLines.filter((l) => l.includes('"method":"Login"')).length).toBeGreaterThanOrEqual(2);
    expect(leaksIn(printed)).toEqual([]);

    const credentials = join(place.stateDir, "registry-auth.json");
    expect((await stat(credentials)).mode & 0o777).toBe(0o600);
    // The one place they are, and where the search below does find them.
    expect(leaksIn(await readFile(credentials, "latin1"))).not.toEqual([]);
    const found: string[] = [];
    for (const entry of (await readdir(place.stateDir, { recursive: true })) as string[]) {
      const path = join(place.stateDir, entry);
      const s = await stat(path).catch(() => undefined);
      if (path === credentials || s === undefined || !s.isFile()) continue;
      const text = (await readFile(path)).toString("latin1");
      for (const secret of leaksIn(text)) found.push(`${entry}: ${secret}`);
    }
    expect(found).toEqual([]);
  });
});
