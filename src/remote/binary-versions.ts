// BinaryVersions remembers what `runc --version` and `conmon --version`
// said, for Version. Each answer costs two forks (100 to 600 ms of a busy
// event loop on a loaded host), and it changes only when a binary is
// replaced: so the versions are asked once per daemon, and again only when
// a binary's path, mtime or inode has changed (a stat each, which is cheap).
import { stat } from "node:fs/promises";

export interface Binaries {
  runc: string;
  conmon: string;
}

export interface Versions {
  runtimeVersion: string;
  monitorVersion: string;
}

export class BinaryVersions {
  #key: string | undefined;
  #versions: Promise<Versions> | undefined;

  // ask runs the binaries; it is called again only when they changed.
  constructor(private readonly ask: (bin: Binaries) => Promise<Versions>) {}

  async get(bin: Binaries): Promise<Versions> {
    const key = await identityOf(bin);
    if (this.#versions === undefined || key !== this.#key) {
      this.#key = key;
      const asked = this.ask(bin);
      this.#versions = asked;
      // A failed answer is not kept: the next call asks again.
      asked.catch(() => {
        if (this.#versions === asked) this.#versions = undefined;
      });
    }
    return this.#versions;
  }
}

async function identityOf(bin: Binaries): Promise<string> {
  const one = async (path: string) => {
    const s = await stat(path).catch(() => undefined);
    return s === undefined ? `${path}:gone` : `${path}:${s.ino}:${s.mtimeMs}:${s.size}`;
  };
  return `${await one(bin.runc)}|${await one(bin.conmon)}`;
}
