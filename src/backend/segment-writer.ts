// SegmentWriter writes encoded records into the journal's segment files,
// keeping one file open at a time. Writes are positional rather than
// O_APPEND so that a write which failed halfway is overwritten by its retry
// instead of leaving half a record in the middle of the file.
import { constants } from "node:fs";
import { open, unlink, type FileHandle } from "node:fs/promises";

// The fault tests fill the journal's disk through a failpoint.
import { failpointError } from "../faults/failpoint.js";
import { segmentPath } from "./journal-segment.js";

export class SegmentWriter {
  private file: FileHandle | undefined;
  private fileFirst: bigint | undefined;
  // position is the end of the bytes known to be written to file.
  private position = 0;

  constructor(
    private readonly dir: string,
    private readonly fsync: boolean,
  ) {}

  // append writes data at the end of segment `first`, opening it if needed.
  // On failure the position is unchanged, so the caller may retry.
  async append(first: bigint, data: Buffer): Promise<void> {
    if (this.fileFirst !== first || this.file === undefined) await this.switchTo(first);
    const file = this.file!;
    let offset = 0;
    const fault = failpointError("journal:write");
    if (fault !== undefined) {
      // As a full disk does: part of the data lands, then ENOSPC.
      await file.write(data, 0, data.length >> 1, this.position);
      throw fault;
    }
    while (offset < data.length) {
      const { bytesWritten } = await file.write(data, offset, data.length - offset, this.position + offset);
      offset += bytesWritten;
    }
    this.position += data.length;
  }

  // sync makes what was appended durable, when the journal asks for that.
  async sync(): Promise<void> {
    if (this.fsync && this.file !== undefined) await this.file.datasync();
  }

  // remove deletes a segment that fell out of the journal's bound.
  async remove(first: bigint): Promise<void> {
    if (this.fileFirst === first) await this.release();
    try {
      await unlink(segmentPath(this.dir, first));
    } catch (err) {
      // A segment dropped before its first write never reached the disk.
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  }

  async close(): Promise<void> {
    await this.release();
  }

  private async switchTo(first: bigint): Promise<void> {
    await this.release();
    const file = await open(segmentPath(this.dir, first), constants.O_WRONLY | constants.O_CREAT, 0o600);
    try {
      this.position = (await file.stat()).size;
      // A new file's directory entry must be durable too, or a crash could
      // lose the whole segment even though its data was synced.
      if (this.fsync && this.position === 0) await syncDirectory(this.dir);
    } catch (err) {
      await file.close();
      throw err;
    }
    this.file = file;
    this.fileFirst = first;
  }

  private async release(): Promise<void> {
    const file = this.file;
    if (file === undefined) return;
    this.file = undefined;
    this.fileFirst = undefined;
    try {
      if (this.fsync) await file.datasync();
    } finally {
      await file.close();
    }
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
