// ExitWatcher watches one exit directory with inotify (fs.watch) and reports
// each exit file conmon writes. conmon writes it with g_file_set_contents
// (temp file, then rename), so a file that appears under its final name is
// complete. Files already there when watching starts are reported too: they
// are exits that happened while nobody watched. The watch keeps the process
// alive until close(): an in-process engine waiting for an exit must not
// let Node exit under it.
import { watch, type FSWatcher } from "node:fs";
import { mkdir, open, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

// ExitHandler hears an exit code with the time its file was written, so a
// container restarted since can tell a late report of an earlier run.
export type ExitHandler = (id: string, exitCode: number, writtenAtMs: number) => void;

export class ExitWatcher {
  private watcher: FSWatcher | undefined;
  // seen keeps one report per file, since inotify may say "rename" and
  // "change" for the same write.
  private readonly inFlight = new Set<string>();

  constructor(
    readonly dir: string,
    private readonly onExit: ExitHandler,
    private readonly onError: (err: unknown) => void,
  ) {}

  async start(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    this.watcher = watch(this.dir, { persistent: true }, (_event, filename) => {
      if (filename !== null && !filename.includes(".tmp") && !filename.startsWith(".")) void this.check(filename);
    });
    this.watcher.on("error", this.onError);
    for (const name of await readdir(this.dir)) if (!name.startsWith(".")) void this.check(name);
  }

  // check reads one exit file if it is there; it may be called more than once.
  async check(id: string): Promise<void> {
    if (this.inFlight.has(id)) return;
    this.inFlight.add(id);
    try {
      // One open file for both, so the time is that of the content read.
      const file = await open(join(this.dir, id), "r");
      let text: string;
      let writtenAtMs: number;
      try {
        [text, writtenAtMs] = await Promise.all([file.readFile("utf8"), file.stat().then((st) => st.mtimeMs)]);
      } finally {
        await file.close();
      }
      const code = Number.parseInt(text.trim(), 10);
      if (Number.isNaN(code)) return;
      this.onExit(id, code, writtenAtMs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") this.onError(err);
    } finally {
      this.inFlight.delete(id);
    }
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}

// readExitFile reads an exit code file; undefined when there is none yet.
export async function readExitFile(path: string): Promise<number | undefined> {
  try {
    const n = Number.parseInt((await readFile(path, "utf8")).trim(), 10);
    return Number.isNaN(n) ? undefined : n;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}
