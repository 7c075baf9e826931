// startFakeRegistry serves one OCI layout over the distribution API's read
// side, on 127.0.0.1, for the faults a real registry will not produce on
// demand: a blob whose bytes do not match its digest, a blob that stalls
// halfway until the test lets it go (to cancel, kill or race a pull
// mid-download), and a count of the requests for each blob (to prove two
// pulls share one download).
import { readFile } from "node:fs/promises";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

export interface FakeRegistry {
  host: string;
  // blobRequests counts GETs per blob digest.
  blobRequests: Map<string, number>;
  // corrupt serves these blobs with one byte changed (same length).
  corrupt: Set<string>;
  // stall holds these blobs after half their bytes, until release().
  stall: Set<string>;
  // stalled resolves once a response for digest is held (rejects after 15 s).
  stalled(digest: string): Promise<void>;
  release(): void;
  close(): Promise<void>;
}

export async function startFakeRegistry(layout: string): Promise<FakeRegistry> {
  const blobRequests = new Map<string, number>();
  const corrupt = new Set<string>();
  const stall = new Set<string>();
  // held: digests with a response held now; waiters: stalled() calls.
  const held = new Set<string>();
  const waiters = new Map<string, Array<() => void>>();
  let releases: Array<() => void> = [];
  const responses = new Set<http.ServerResponse>();
  const blob = (digest: string) => readFile(join(layout, "blobs", "sha256", digest.replace(/^sha256:/, "")));

  const server = http.createServer(async (req, res) => {
    responses.add(res);
    res.once("close", () => responses.delete(res));
    const path = new URL(req.url ?? "/", "http://x").pathname;
    try {
      if (path === "/v2/") return void res.writeHead(200, { "content-type": "application/json" }).end("{}");
      const manifest = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(path);
      if (manifest !== null) {
        let digest = manifest[2]!;
        let mediaType = "application/vnd.oci.image.manifest.v1+json";
        if (!digest.startsWith("sha256:")) {
          const top = (JSON.parse(await readFile(join(layout, "index.json"), "utf8")) as { manifests: Array<{ digest: string; mediaType: string }> }).manifests[0]!;
          digest = top.digest;
          mediaType = top.mediaType;
        }
        const bytes = await blob(digest);
        return void res.writeHead(200, { "content-type": mediaType, "docker-content-digest": digest, "content-length": bytes.length }).end(bytes);
      }
      const layer = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]{64})$/.exec(path);
      if (layer === null) return void res.writeHead(404).end();
      const digest = layer[2]!;
      blobRequests.set(digest, (blobRequests.get(digest) ?? 0) + 1);
      const bytes = Buffer.from(await blob(digest));
      if (corrupt.has(digest)) bytes[bytes.length >> 1] ^= 0xff;
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": bytes.length });
      if (!stall.has(digest)) return void res.end(bytes);
      res.write(bytes.subarray(0, bytes.length >> 1));
      await new Promise<void>((resolve) => {
        releases.push(resolve);
        held.add(digest);
        for (const wake of waiters.get(digest) ?? []) wake();
        waiters.delete(digest);
      });
      res.end(bytes.subarray(bytes.length >> 1));
    } catch {
      res.writeHead(404).end();
    }
  });
  function release() {
    stall.clear();
    held.clear();
    for (const r of releases) r();
    releases = [];
  }
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    blobRequests,
    corrupt,
    stall,
    stalled: (digest) =>
      new Promise((resolve, reject) => {
        if (held.has(digest)) return resolve();
        const timer = setTimeout(() => reject(new Error(`blob ${digest} was not requested within 15 s`)), 15_000);
        waiters.set(digest, [...(waiters.get(digest) ?? []), () => (clearTimeout(timer), resolve())]);
      }),
    release,
    async close() {
      release();
      for (const res of responses) res.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
