// startTokenServer is a Bearer token server for the token-auth registry,
// written here because Debian ships none: it answers the registry's
// challenge (GET <realm>?service=&scope=) as the distribution token spec
// says, with an RS256 JWT whose x5c header carries the signing
// certificate, which the registry trusts through its rootcertbundle. Good
// credentials get every action they ask for; none get a token with no
// access (so the registry refuses them); bad ones get 401. It counts what
// it was asked, for tests to check.
import { createSign, randomBytes } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

import { execa } from "execa";

export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  certPath: string;
  requests: Array<{ scope: string[]; user: string | undefined; granted: boolean }>;
  close(): Promise<void>;
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString("base64url");

export async function startTokenServer(dir: string, login: { username: string; password: string }): Promise<TokenServer> {
  await mkdir(dir, { recursive: true });
  const certPath = join(dir, "token.crt");
  const keyPath = join(dir, "token.key");
  await execa("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyPath, "-out", certPath, "-days", "2", "-subj", "/CN=berth test token signer"]);
  const key = await readFile(keyPath, "utf8");
  const der = (await readFile(certPath, "utf8")).replace(/-----[^-]+-----|\s/g, "");
  const service = "berth-test-registry";
  const issuer = "berth-test-token-issuer";
  const requests: TokenServer["requests"] = [];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const scopes = url.searchParams.getAll("scope");
    const auth = req.headers.authorization;
    let user: string | undefined;
    if (auth !== undefined) {
      const [name, password] = Buffer.from(auth.replace(/^Basic /, ""), "base64").toString().split(":");
      if (name !== login.username || password !== login.password) {
        requests.push({ scope: scopes, user: name, granted: false });
        res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ details: "bad credentials" }));
        return;
      }
      user = name;
    }
    requests.push({ scope: scopes, user, granted: user !== undefined });
    const access =
      user === undefined
        ? []
        : scopes.map((s) => {
            const [type, name, actions] = s.split(":");
            return { type, name, actions: (actions ?? "").split(",") };
          });
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: "JWT", alg: "RS256", x5c: [der] };
    const claims = { iss: issuer, sub: user ?? "", aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString("hex"), access };
    const signing = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = createSign("RSA-SHA256").update(signing).sign(key);
    const token = `${signing}.${b64url(signature)}`;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token, access_token: token, expires_in: 300 }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certPath,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
