// LogWait waits until the container's output (stdout and stderr) has had
// a line matching a string or a regular expression a number of times. It
// follows the log once rather than re-reading it at each probe.
import { LogStream } from "../../gen/berth/v1/types_pb.js";
import { invalidArgument } from "../../errors/berth-error.js";
import { PollingWait, type Probe, type ProbeContext, type WaitTarget } from "./wait-strategy.js";

export class LogWait extends PollingWait {
  #count = 0;
  #lastLine = "";
  #following: Promise<void> | undefined;
  #ended = false;
  #error: unknown;

  constructor(
    private readonly message: string | RegExp,
    private readonly times = 1,
  ) {
    super();
    if (!Number.isInteger(times) || times < 1) throw invalidArgument(`forLogMessage times ${times}: give a whole number, 1 or more`);
  }

  describe(): string {
    const what = typeof this.message === "string" ? JSON.stringify(this.message) : String(this.message);
    return `log message ${what}${this.times === 1 ? "" : ` ${this.times} times`}`;
  }

  protected override reset(): void {
    this.#count = 0;
    this.#lastLine = "";
    this.#following = undefined;
    this.#ended = false;
    this.#error = undefined;
  }

  protected override async probe(target: WaitTarget, { signal, final }: ProbeContext): Promise<Probe> {
    this.#following ??= this.#follow(target, signal);
    // A followed log ends once the process has ended and its file is read
    // to the end: then everything the container wrote has been counted.
    if (this.#ended || final) await this.#following;
    if (this.#error !== undefined) throw this.#error;
    return {
      ready: this.#count >= this.times,
      seen: `${this.#count} matching line${this.#count === 1 ? "" : "s"} of ${this.times}; last line ${this.#lastLine === "" ? "(none)" : JSON.stringify(this.#lastLine.slice(-200))}`,
    };
  }

  #matches(line: string): boolean {
    if (typeof this.message === "string") return line.includes(this.message);
    this.message.lastIndex = 0;
    return this.message.test(line);
  }

  async #follow(target: WaitTarget, signal: AbortSignal): Promise<void> {
    // conmon cuts long lines into partial records: joined per stream.
    const pending = new Map<LogStream, string>();
    try {
      for await (const record of target.client.logs(target.id, { follow: true, signal })) {
        const text = (pending.get(record.stream) ?? "") + Buffer.from(record.line).toString("utf8");
        if (record.partial) {
          pending.set(record.stream, text);
          continue;
        }
        pending.delete(record.stream);
        this.#lastLine = text;
        if (this.#matches(text)) this.#count++;
      }
      for (const text of pending.values()) {
        this.#lastLine = text;
        if (this.#matches(text)) this.#count++;
      }
    } catch (err) {
      if (!signal.aborted) this.#error = err;
    } finally {
      this.#ended = true;
    }
  }
}
