// berth events: stream the namespace's state changes, one line each, until
// interrupted (or until --until).
import { eventTypeOf, isImageEvent, stateInfoOf } from "../../backend/backend.js";
import { EventType, type Event } from "../../client/types.js";
import { listOption, stringOption, type Command } from "../command.js";
import { withClient } from "../connect-client.js";
import { formatStateChange } from "../format-state-change.js";
import { interruptSignal } from "../interrupt-signal.js";
import { parseCount } from "../parse-count.js";
import { UsageError } from "../usage-error.js";

export const eventsCommand: Command = {
  name: "events",
  summary: "stream container events",
  usage: "[--since-seq N] [--container ID]... [--type STATE]... [--until TIME]",
  positionals: { min: 0, max: 0 },
  options: [
    { name: "since-seq", type: "string", value: "N", help: "first replay the held events after sequence N (0: all held)" },
    { name: "container", short: "c", type: "string", multiple: true, value: "ID", help: "only this container's events (repeatable)" },
    { name: "type", type: "string", multiple: true, value: "STATE", help: "only events of this state name, e.g. exit (repeatable)" },
    { name: "until", type: "string", value: "TIME", help: 'stop after events up to TIME (ISO 8601, or "now")' },
  ],
  details:
    "Each line: time, #sequence, state name (libcontainerd's: start-container, pause, resume, exit,\n" +
    "restart, restore, start-process, exit-process, oom; and create, delete), container, process,\n" +
    "pid=, exit= (the exit code of exit and exit-process events). Image events (image-pull, image-load,\n" +
    "image-tag, image-untag, image-delete) show the image's reference and id.",
  async run(ctx) {
    const since = stringOption(ctx, "since-seq");
    const until = untilOf(stringOption(ctx, "until"));
    const types = listOption(ctx, "type").map(typeOf);
    const containerIds = listOption(ctx, "container");
    const interrupt = interruptSignal();
    try {
      await withClient(ctx.globals, async (client) => {
        const events = client.subscribe({
          containerIds,
          types,
          signal: interrupt.signal,
          ...(since !== undefined && { sinceSequence: BigInt(parseCount(since, "--since-seq")) }),
          ...(until !== undefined && { until }),
        });
        for await (const event of events) {
          ctx.stdout.write(`${isImageEvent(event.type) ? formatImageEvent(event) : formatStateChange(event.containerId, stateInfoOf(event))}\n`);
        }
      });
      return 0;
    } finally {
      interrupt.dispose();
    }
  },
};

// Image events are named as Docker names them, behind "image-".
const IMAGE_EVENTS: Readonly<Record<string, EventType>> = {
  "image-pull": EventType.IMAGE_PULL,
  "image-load": EventType.IMAGE_LOAD,
  "image-tag": EventType.IMAGE_TAG,
  "image-untag": EventType.IMAGE_UNTAG,
  "image-delete": EventType.IMAGE_DELETE,
};

function formatImageEvent(event: Event): string {
  const name = Object.entries(IMAGE_EVENTS).find(([, t]) => t === event.type)?.[0] ?? "image";
  const time = event.timestamp === undefined ? "" : new Date(Number(event.timestamp.seconds) * 1000 + Math.floor(event.timestamp.nanos / 1e6)).toISOString();
  return `${time} #${event.sequence} ${name} ${event.image} ${event.imageId}`;
}

function typeOf(name: string): EventType {
  const type = IMAGE_EVENTS[name] ?? eventTypeOf(name);
  if (type === undefined) throw new UsageError(`--type ${JSON.stringify(name)} is not a state name (start-container, exit, oom, ...)`);
  return type;
}

function untilOf(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const date = text === "now" ? new Date() : new Date(text);
  if (Number.isNaN(date.getTime())) throw new UsageError(`--until ${JSON.stringify(text)} is not a time: give ISO 8601 or "now"`);
  return date;
}
