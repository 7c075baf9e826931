// makeTestCa makes a CA and a server certificate for 127.0.0.1 signed by
// it, with the openssl CLI, for the TLS registry and the token signer.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { execa } from "execa";

export interface TestCa {
  caPem: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
}

export async function makeTestCa(dir: string): Promise<TestCa> {
  await mkdir(dir, { recursive: true });
  const p = (name: string) => join(dir, name);
  await execa("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", p("ca.key"), "-out", p("ca.crt"), "-days", "2", "-subj", "/CN=berth test CA"]);
  await execa("openssl", ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", p("server.key"), "-out", p("server.csr"), "-subj", "/CN=127.0.0.1"]);
  await writeFile(p("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  await execa("openssl", ["x509", "-req", "-in", p("server.csr"), "-CA", p("ca.crt"), "-CAkey", p("ca.key"), "-CAcreateserial", "-out", p("server.crt"), "-days", "2", "-extfile", p("ext.cnf")]);
  return { caPem: await readFile(p("ca.crt"), "utf8"), caKey: p("ca.key"), serverCert: p("server.crt"), serverKey: p("server.key") };
}
