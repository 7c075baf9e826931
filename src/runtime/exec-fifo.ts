// startThroughExecFifo starts a container runc has created, without
// spawning `runc start`. runc 1.1's start only does this (libcontainer's
// linuxContainer.exec, awaitFifoOpen and handleFifoResult): open
// <root>/<id>/exec.fifo for reading, read it to its end, and remove it.
// runc init, blocked opening the fifo for writing since `runc create`,
// then writes one byte and execs the container's process, which closes
// the fifo (it is close-on-exec), so the end of the read is the moment the
// process runs. A fifo that exists tells runc the container is "created";
// once removed, "running". Doing it here saves a Go process start per
// container start.
//
// The fifo is opened non-blocking (a blocking open would hold one of
// libuv's few threads for ever if runc init had died) and read as a pipe
// stream: Linux reports nothing on it until the writer writes or closes.
// Like runc, the init process is checked every 100 ms while nothing comes.
// (libuv opens every file close-on-exec, so no child inherits it.)
import { close, constants, fstat, open, type Stats } from "node:fs";
import { unlink } from "node:fs/promises";
import { Socket } from "node:net";
import { join } from "node:path";

import { BerthError } from "../errors/berth-error.js";

// How often the init process is checked while the fifo says nothing
// (runc's own interval).
const INIT_CHECK_MS = 100;

// "started": the process runs. "not-runc": no exec.fifo of runc's there
// (another runtime, or a container not in the created state): ask the
// runtime's own `start`. "init-gone": runc init ended before it wrote,
// so the runtime's `start` reports it in its own words.
export type FifoStart = "started" | "not-runc" | "init-gone";

export async function startThroughExecFifo(stateDir: string, initAlive: () => Promise<boolean>): Promise<FifoStart> {
  const path = join(stateDir, "exec.fifo");
  const fd = await openFifo(path);
  if (fd === undefined) return "not-runc";
  const stream = new Socket({ fd, readable: true, writable: false });
  let bytes = 0;
  const ended = await new Promise<"ended" | "init-gone">((resolve, reject) => {
    let checking = false;
    const timer = setInterval(() => {
      if (checking) return;
      checking = true;
      initAlive().then(
        (alive) => {
          checking = false;
          // A writer that wrote and ended ends the stream first; one that
          // never wrote leaves the stream silent.
          if (!alive && bytes === 0) done("init-gone");
        },
        () => (checking = false),
      );
    }, INIT_CHECK_MS);
    const done = (how: "ended" | "init-gone") => {
      clearInterval(timer);
      resolve(how);
    };
    stream.on("data", (chunk: Buffer) => (bytes += chunk.length));
    stream.once("end", () => done("ended"));
    stream.once("error", (err) => {
      clearInterval(timer);
      reject(new BerthError("internal", `cannot read runc's exec fifo ${path}: ${err.message}`, { cause: err }));
    });
  }).finally(() => stream.destroy());
  if (ended === "init-gone") return "init-gone";
  // libcontainer's readFromExecFifo: nothing written means another start
  // already had it.
  if (bytes === 0) throw new BerthError("failed_precondition", "cannot start an already running container");
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "ENOENT") throw err;
  });
  return "started";
}

// openFifo opens path for reading without waiting for a writer; undefined
// when there is no fifo there.
function openFifo(path: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    open(path, constants.O_RDONLY | constants.O_NONBLOCK, (err, fd) => {
      if (err !== null) {
        if (err.code === "ENOENT" || err.code === "ENOTDIR") return resolve(undefined);
        return reject(new BerthError("internal", `cannot open runc's exec fifo ${path}: ${err.message}`, { cause: err }));
      }
      fstat(fd, (statErr: NodeJS.ErrnoException | null, st: Stats) => {
        if (statErr === null && st.isFIFO()) return resolve(fd);
        close(fd, () => resolve(undefined));
      });
    });
  });
}
