// PullDisplay shows a pull's progress. On a terminal it redraws one line
// per layer in place (digest, state, bytes done of total), as docker pull
// does; elsewhere (a pipe, a log) it writes one plain line per layer state
// change, never a partial-progress line, so logs stay short and greppable.
import { PullProgress_State, type PullProgress } from "../client/types.js";

const STATE_TEXT: Record<PullProgress_State, string> = {
  [PullProgress_State.UNSPECIFIED]: "unknown",
  [PullProgress_State.WAITING]: "waiting",
  [PullProgress_State.DOWNLOADING]: "downloading",
  [PullProgress_State.EXISTS]: "already exists",
  [PullProgress_State.DONE]: "pull complete",
};

export class PullDisplay {
  private readonly layers = new Map<string, PullProgress>();
  private readonly lastState = new Map<string, PullProgress_State>();
  private drawn = 0;

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly terminal = out.isTTY === true,
  ) {}

  update(progress: PullProgress): void {
    this.layers.set(progress.digest, progress);
    if (this.terminal) return this.redraw();
    if (this.lastState.get(progress.digest) === progress.state) return;
    this.lastState.set(progress.digest, progress.state);
    this.out.write(`${short(progress.digest)}: ${STATE_TEXT[progress.state]}${progress.state === PullProgress_State.WAITING ? ` (${bytes(progress.totalBytes)})` : ""}\n`);
  }

  private redraw(): void {
    // Up to the first line drawn, then every line again, each cleared.
    let text = this.drawn > 0 ? `\x1b[${this.drawn}A` : "";
    for (const p of this.layers.values()) {
      const amount = p.state === PullProgress_State.DOWNLOADING ? ` ${bytes(p.doneBytes)} / ${bytes(p.totalBytes)}` : "";
      text += `\r\x1b[2K${short(p.digest)}: ${STATE_TEXT[p.state]}${amount}\n`;
    }
    this.drawn = this.layers.size;
    this.out.write(text);
  }
}

function short(digest: string): string {
  return digest.replace(/^sha256:/, "").slice(0, 12);
}

function bytes(n: bigint): string {
  const v = Number(n);
  if (v < 1024) return `${v} B`;
  if (v < 1024 * 1024) return `${(v / 1024).toFixed(1)} KiB`;
  return `${(v / 1024 / 1024).toFixed(1)} MiB`;
}
