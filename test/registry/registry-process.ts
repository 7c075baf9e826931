// startRegistry runs Debian's docker-registry (the CNCF distribution
// registry) on 127.0.0.1 with a free port and its own storage folder:
// plain, with htpasswd Basic auth, behind TLS with a CA the fixture makes,
// or with Bearer tokens from a token server of the test's own. pushImage
// pushes an OCI layout to it with skopeo.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { execa, type ResultPromise } from "execa";

import { until } from "../fixtures/until.js";
import { makeTestCa, type TestCa } from "./test-ca.js";
import { startTokenServer, type TokenServer } from "./token-server.js";

export const USER = "berth";
export const PASSWORD = "s3cret-Pa55";

export type RegistryKind = "plain" | "htpasswd" | "tls" | "token";

export interface TestRegistry {
  kind: RegistryKind;
  // host is "127.0.0.1:<port>", as references name it.
  host: string;
  dir: string;
  ca?: TestCa;
  // certsDir holds <host>/ca.crt for the TLS registry.
  certsDir?: string;
  push(layout: string, repository: string, options?: { all?: boolean; tag?: string }): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startRegistry(kind: RegistryKind): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), `berth-registry-${kind}-`));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  let ca: TestCa | undefined;
  let tokens: TokenServer | undefined;
  const config: Record<string, unknown> = {
    version: 0.1,
    log: { level: "error", accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: join(dir, "storage") }, delete: { enabled: true } },
    http: { addr: host, secret: "berth-test" },
  };
  if (kind === "htpasswd" || kind === "token") {
    const { stdout } = await execa("htpasswd", ["-Bbn", USER, PASSWORD]);
    await writeFile(join(dir, "htpasswd"), stdout.trim() + "\n");
  }
  if (kind === "htpasswd") config["auth"] = { htpasswd: { realm: "berth-test", path: join(dir, "htpasswd") } };
  if (kind === "tls") {
    ca = await makeTestCa(join(dir, "ca"));
    (config["http"] as Record<string, unknown>)["tls"] = { certificate: ca.serverCert, key: ca.serverKey };
  }
  if (kind === "token") {
    tokens = await startTokenServer(join(dir, "token"), { username: USER, password: PASSWORD });
    config["auth"] = { token: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootcertbundle: tokens.certPath } };
  }
  const configPath = join(dir, "config.yml");
  // YAML is a superset of JSON.
  await writeFile(configPath, JSON.stringify(config, null, 2));
  const child: ResultPromise = execa("docker-registry", ["serve", configPath], { reject: false, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const stop = async () => {
    child.kill("SIGTERM");
    await child;
    await tokens?.close();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await until(() => answers(host, ca), () => `docker-registry on ${host} to answer (stderr: ${stderr})`, 15_000);
  } catch (err) {
    await stop();
    throw err;
  }
  let certsDir: string | undefined;
  if (ca !== undefined) {
    certsDir = join(dir, "certs.d");
    await mkdir(join(certsDir, host), { recursive: true });
    await writeFile(join(certsDir, host, "ca.crt"), ca.caPem);
  }
  return {
    kind,
    host,
    dir,
    ...(ca !== undefined && { ca }),
    ...(certsDir !== undefined && { certsDir }),
    async push(layout, repository, options = {}) {
      const tag = options.tag ?? "latest";
      const args = ["copy", "--quiet", ...(options.all ? ["--all"] : [])];
      if (kind === "tls") args.push("--dest-cert-dir", join(certsDir!, host));
      else args.push("--dest-tls-verify=false");
      if (kind === "htpasswd" || kind === "token") args.push("--dest-creds", `${USER}:${PASSWORD}`);
      // The layouts of test-image.ts name their image "latest".
      args.push(`oci:${layout}:latest`, `docker://${host}/${repository}:${tag}`);
      await execa("skopeo", args, { env: { HOME: dir } });
    },
    stop,
  };
}

function answers(host: string, ca: TestCa | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => resolve(ok);
    const req =
      ca === undefined
        ? http.get(`http://${host}/v2/`, (res) => done((res.resume(), true)))
        : https.get(`https://${host}/v2/`, { ca: ca.caPem }, (res) => done((res.resume(), true)));
    req.on("error", () => done(false));
  });
}
