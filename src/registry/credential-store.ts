// CredentialStore keeps the credentials `berth login` saved, one entry per
// registry host, in one JSON file of mode 0600 in the state directory
// (Docker's config.json "auths", without its base64 veneer, which hides
// nothing). The file is replaced whole (temp file, fsync, rename), so a
// crash leaves the old file or the new one. Credentials never go into an
// error message, an event or a log line: only the user name is ever shown.
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";

import { internal } from "../errors/berth-error.js";

export interface Credentials {
  username: string;
  password: string;
}

interface FileShape {
  auths: Record<string, Credentials>;
}

export class CredentialStore {
  // writes chains every change, so two logins at once cannot lose one.
  private writes: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string) {}

  async get(host: string): Promise<Credentials | undefined> {
    return (await this.read()).auths[host];
  }

  set(host: string, credentials: Credentials): Promise<void> {
    return this.change((file) => {
      file.auths[host] = { username: credentials.username, password: credentials.password };
      return true;
    });
  }

  // remove forgets a host's credentials and says whether there were any.
  async remove(host: string): Promise<boolean> {
    let had = false;
    await this.change((file) => {
      had = host in file.auths;
      delete file.auths[host];
      return had;
    });
    return had;
  }

  private change(edit: (file: FileShape) => boolean): Promise<void> {
    const next = this.writes.then(async () => {
      const file = await this.read();
      if (edit(file)) await this.write(file);
    });
    this.writes = next.catch(() => {});
    return next;
  }

  private async read(): Promise<FileShape> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { auths: {} };
      throw internal(`cannot read the registry credentials file ${this.path}: ${(err as Error).message}`);
    }
    try {
      const parsed = JSON.parse(text) as Partial<FileShape>;
      const auths: Record<string, Credentials> = Object.create(null);
      for (const [host, entry] of Object.entries(parsed.auths ?? {})) {
        if (typeof entry?.username === "string" && typeof entry.password === "string") auths[host] = entry;
      }
      return { auths };
    } catch {
      // The content is never echoed: it holds passwords.
      throw internal(`the registry credentials file ${this.path} is not valid JSON; remove it and log in again`);
    }
  }

  private async write(file: FileShape): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const temp = `${this.path}.${randomBytes(6).toString("hex")}.tmp`;
    // Created 0600 from the first byte, never widened after the fact.
    const handle = await open(temp, "wx", 0o600);
    try {
      await handle.writeFile(JSON.stringify(file, null, 2) + "\n");
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temp, this.path);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }
}
