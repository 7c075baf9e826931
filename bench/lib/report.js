// @ts-check
// The results: one JSON document with every sample, and a Markdown page with
// the tables, the machine, the targets of issue 5 and what exactly is timed.
import { bridgeMarkdown } from "./bridge-report.js";
import { imageMarkdown } from "./image-report.js";
import { leakMarkdown } from "../suites/leak.js";
import { pullMarkdown } from "./pull-report.js";
import { phaseMarkdown } from "./trace-report.js";
import { pairedRatio, summarize } from "./stats.js";

/** @typedef {import("./harness.js").OperationResult} OperationResult */
/** @typedef {import("./machine.js").Machine} Machine */
/** @typedef {import("../suites/memory.js").MemoryResult} MemoryResult */
/** @typedef {import("../suites/events.js").EventsResult} EventsResult */
/** @typedef {import("./stats.js").Summary} Summary */

export const SYSTEMS = /** @type {const} */ (["runc", "berth", "containerd", "podman"]);
const PAIRS = /** @type {const} */ ([
  ["berth", "runc"],
  ["containerd", "berth"],
  ["containerd", "runc"],
  ["podman", "berth"],
]);
/** The ratio columns of the latency table, in order. */
const RATIO_COLUMNS = /** @type {const} */ (["berth/runc", "containerd/berth", "podman/berth", "containerd/runc"]);
const MIB = 1024 * 1024;

/**
 * @typedef {object} SystemStatus
 * @property {string} name
 * @property {"measured" | "unavailable" | "failed"} status
 * @property {string} version
 * @property {string} [reason]
 */

/**
 * @typedef {object} MetricRow
 * @property {string} operation the Operation's key
 * @property {string} metric
 * @property {Record<string, { summary: Summary | undefined, samples: (number | undefined)[] }>} systems
 * @property {Record<string, number | undefined>} ratios "berth/runc" etc.
 * @property {Record<string, string>} errors
 */

/**
 * @typedef {object} Target
 * @property {string} target
 * @property {string} measured
 * @property {boolean | undefined} met undefined when it could not be measured
 */

/**
 * @typedef {object} Results
 * @property {string} generatedAt
 * @property {number} durationSeconds
 * @property {Record<string, number>} options
 * @property {Machine} machine
 * @property {SystemStatus[]} systems
 * @property {MetricRow[]} latency
 * @property {Record<string, MemoryResult>} memory
 * @property {Record<string, EventsResult | { error: string }>} events
 * @property {import("../suites/pull.js").PullResult} [pull]
 * @property {import("../suites/image.js").ImageResult} [image]
 * @property {import("../suites/leak.js").LeakResult} [leak]
 * @property {{ setup: import("../suites/bridge.js").BridgeRow["setup"], leftBehind: string[] }} [bridge]
 * @property {import("./trace-report.js").PhaseBreakdown} [phases] berth's phase trace, by step
 * @property {Target[]} targets
 * @property {string[]} leftBehind what the clean-up could not remove
 */

/**
 * metricRows flattens operation results into one row per metric.
 * @param {OperationResult[]} ops
 * @returns {MetricRow[]}
 */
export function metricRows(ops) {
  /** @type {MetricRow[]} */
  const rows = [];
  for (const op of ops) {
    for (const [metric, bySystem] of Object.entries(op.samples)) {
      /** @type {MetricRow["systems"]} */
      const systems = {};
      for (const [name, samples] of Object.entries(bySystem)) {
        systems[name] = { summary: summarize(samples.filter((v) => v !== undefined)), samples: samples.map((v) => (v === undefined ? v : round(v, 3))) };
      }
      /** @type {Record<string, number | undefined>} */
      const ratios = {};
      for (const [a, b] of PAIRS) {
        const sa = bySystem[a];
        const sb = bySystem[b];
        ratios[`${a}/${b}`] = sa !== undefined && sb !== undefined ? pairedRatio(sa, sb) : undefined;
      }
      rows.push({ operation: op.key, metric, systems, ratios, errors: op.errors });
    }
  }
  return rows;
}

/**
 * toMarkdown renders the results page.
 * @param {Results} r
 * @returns {string}
 */
export function toMarkdown(r) {
  const present = SYSTEMS.filter((name) => r.systems.some((s) => s.name === name));
  const lines = [];
  lines.push("# berth benchmark: berth vs runc vs containerd vs Podman");
  lines.push("");
  lines.push(`Generated ${r.generatedAt} by \`npm run bench\` in ${r.durationSeconds.toFixed(0)} s; ` + `${r.options["reps"]} timed repetitions per operation after ${r.options["warmup"]} warm-up ones (batch: ${r.options["batchReps"]} after ${r.options["batchWarmup"]}), systems interleaved in every repetition.`);
  lines.push("");
  lines.push("## Machine");
  lines.push("");
  lines.push("| | |");
  lines.push("|---|---|");
  lines.push(`| CPU | ${r.machine.cpu}, ${r.machine.cores} cores |`);
  lines.push(`| Memory | ${r.machine.memory} |`);
  lines.push(`| Kernel | ${r.machine.kernel} (${r.machine.distribution}) |`);
  lines.push(`| cgroups | ${r.machine.cgroups} |`);
  lines.push(`| load average (1/5/15 min) | ${r.machine.loadAtStart} at start, ${r.machine.loadAtEnd ?? "?"} at end (${r.machine.cores} cores) |`);
  for (const [tool, version] of Object.entries(r.machine.versions)) lines.push(`| ${tool} | ${escape(version)} |`);
  lines.push("");
  lines.push("## Systems");
  lines.push("");
  for (const s of r.systems) {
    lines.push(`- **${s.name}**: ${s.status}${s.status === "measured" ? ` — ${escape(s.version)}` : ""}${s.reason ? ` — ${escape(s.reason)}` : ""}`);
  }
  lines.push("");
  lines.push("## Latency");
  lines.push("");
  lines.push("Milliseconds: median (min–max). Ratios are medians of the per-repetition ratios (paired by repetition), so < 1 in berth/runc means faster than runc and > 1 in containerd/berth or podman/berth means berth is faster than containerd or Podman.");
  lines.push("");
  const ratioColumns = RATIO_COLUMNS.filter((k) => k.split("/").every((name) => present.some((p) => p === name)));
  lines.push(`| operation | ${[...present, ...ratioColumns].join(" | ")} |`);
  lines.push(`|---|${[...present, ...ratioColumns].map(() => "---:").join("|")}|`);
  for (const row of r.latency) {
    const cells = present.map((name) => {
      const sys = row.systems[name];
      if (sys === undefined) return "n/a";
      if (sys.summary === undefined) return row.errors[name] ? "failed" : "n/a";
      const s = sys.summary;
      return `${fmtMs(s.median)} (${fmtMs(s.min)}–${fmtMs(s.max)})`;
    });
    lines.push(`| ${[row.metric, ...cells, ...ratioColumns.map((k) => fmtRatio(row.ratios[k]))].join(" | ")} |`);
  }
  const failures = r.latency.flatMap((row) => Object.entries(row.errors).map(([name, err]) => `${name} · ${row.operation}: ${err}`));
  if (failures.length > 0) {
    lines.push("");
    lines.push("Failures:");
    lines.push("");
    for (const f of [...new Set(failures)]) lines.push(`- ${escape(f)}`);
  }
  if (r.phases !== undefined) {
    /** @type {Record<string, number | undefined>} */
    const berthMedians = Object.fromEntries(r.latency.map((row) => [row.metric, row.systems["berth"]?.summary?.median]));
    lines.push("", ...phaseMarkdown(r.phases, berthMedians));
  }
  if (r.bridge !== undefined) lines.push("", ...bridgeMarkdown(r.bridge));
  if (r.pull !== undefined) lines.push("", ...pullMarkdown(r.pull));
  if (r.image !== undefined) lines.push("", ...imageMarkdown(r.image));
  if (r.leak !== undefined) lines.push("", ...leakMarkdown(r.leak));
  // A run of the bridge row alone measures no memory and no events.
  if (r.options["bridgeOnly"] !== 1 && r.options["imageOnly"] !== 1) {
    lines.push("");
    lines.push("## Memory");
    lines.push("");
    lines.push(`| | ${present.join(" | ")} |`);
    lines.push(`|---|${present.map(() => "---:").join("|")}|`);
    /** @param {string} label @param {(m: MemoryResult) => string} fn */
    const memRow = (label, fn) => lines.push(`| ${label} | ${present.map((name) => (r.memory[name] ? (r.memory[name].error ? "failed" : fn(r.memory[name])) : "n/a")).join(" | ")} |`);
    memRow("daemon RSS, idle (just started)", (m) => fmtMiB(m.daemonRssIdleBytes));
    memRow("daemon RSS before / with 50 running", (m) => `${fmtMiB(m.daemonRssBeforeBytes)} / ${fmtMiB(m.daemonRssWith50Bytes)}`);
    memRow("monitor processes found (50 expected)", (m) => String(m.monitors));
    memRow("monitor PSS, mean per container", (m) => fmtMiB(m.monitorPssMeanBytes));
    memRow("**per-container cost** (daemon growth / 50 + monitor PSS)", (m) => `**${fmtMiB(m.perContainerBytes)}**`);
    const memErrors = Object.entries(r.memory).filter(([, m]) => m.error);
    for (const [name, m] of memErrors) lines.push(`\n${name}: ${escape(m.error ?? "")}`);
    lines.push("");
    lines.push("runc has no daemon and no monitor: nothing of its own stays resident beside a container.");
    lines.push("");
    lines.push("## Events");
    lines.push("");
    const eventSystems = present.filter((name) => r.events[name] !== undefined);
    if (eventSystems.length === 0) {
      lines.push("No system with an event stream was measured.");
    } else {
      lines.push(`| | ${eventSystems.join(" | ")} |`);
      lines.push(`|---|${eventSystems.map(() => "---:").join("|")}|`);
      /** @param {string} label @param {(e: EventsResult) => string} fn */
      const evRow = (label, fn) =>
        lines.push(`| ${label} | ${eventSystems.map((name) => { const e = r.events[name]; return e === undefined ? "n/a" : "error" in e ? "failed" : fn(e); }).join(" | ")} |`);
      evRow("subscribers (one connection each)", (e) => String(e.subscribers));
      evRow("state changes produced (pause/resume by one client)", (e) => `${e.stateChanges} (${fmtInt(e.stateChangesPerSecond)}/s)`);
      evRow("**events delivered per second** (all subscribers)", (e) => `**${fmtInt(e.eventsPerSecond)}**`);
      evRow("events delivered / seconds", (e) => `${fmtInt(e.delivered)} / ${e.seconds.toFixed(2)}`);
      evRow("last state change → last delivery", (e) => `${fmtMs(e.drainMs)} ms`);
      evRow("daemon RSS before / peak / after", (e) => `${fmtMiB(e.rssBeforeBytes)} / ${fmtMiB(e.rssMaxBytes)} / ${fmtMiB(e.rssAfterBytes)}`);
      for (const name of eventSystems) {
        const e = r.events[name];
        if (e !== undefined && "error" in e) lines.push(`\n${name}: ${escape(e.error)}`);
      }
      lines.push("");
      lines.push("The producer is one client that waits for each pause and resume, so events per second are bounded by subscribers × the system's own state changes per second; the last row is the fan-out's own lag. runc has no event stream.");
    }
  }
  lines.push("");
  lines.push("## Targets (issues 5 and 15)");
  lines.push("");
  lines.push("| target | measured | met |");
  lines.push("|---|---:|:---:|");
  for (const t of r.targets) lines.push(`| ${t.target} | ${t.measured} | ${t.met === undefined ? "–" : t.met ? "yes" : "**no**"} |`);
  lines.push("");
  lines.push("## What is timed");
  lines.push("");
  lines.push("- **runc**: the CLI, one process per call, `--root` and bundles under a private folder; bundles (config.json from berth's own default spec) are written before the clock starts. Run to exit is `runc run` returning; create is `runc create` + `runc start`; an exit after `runc kill` is seen by polling `/proc/<pid>/stat` on every event-loop turn until the init is a zombie; stats is `runc events --stats`; delete is `runc kill` + that wait + `runc delete`.");
  lines.push("- **containerd**: gRPC from Node (@grpc/grpc-js, containerd 1.6 .proto files in bench/proto), namespace `bench`, runtime io.containerd.runc.v2, snapshotter overlayfs. Create = Snapshots.Prepare + Containers.Create + Tasks.Create + Tasks.Start (the spec, the same default spec, is built before the clock starts); exits are `/tasks/exit` events on one Events.Subscribe stream opened at start-up; exec = Tasks.Exec + Tasks.Start + the exit event (Tasks.DeleteProcess afterwards, untimed); stats = Tasks.Metrics; update = Tasks.Update with LinuxResources; delete = Tasks.Kill + exit event + Tasks.Delete + Containers.Delete + Snapshots.Remove. The image is imported once with `ctr images import`, outside any timed path.");
  lines.push("- **berth**: gRPC from Node (@grpc/grpc-js, proto/berth/v1), namespace header `berth-namespace`. Create with the shared busybox folder as rootfs source (berth builds the spec and the overlay inside Create, so that cost is in its time); exits are EXIT / EXIT_PROCESS events on one EventService.Subscribe stream opened at start-up; exec = AddProcess + the exit event; stats = Stats; update = UpdateResources; delete = Delete(force).");
  lines.push("- **podman**: the libpod REST API (v4.0.0 paths) of a private `podman system service --time=0` (own --root, --runroot, --tmpdir, cgroupfs, file events backend, runc, conmon), HTTP/1.1 from node:http over its unix socket with a keep-alive agent. Create = POST /containers/create + POST /containers/{id}/start; exits are `died` events on one GET /events?stream=true opened at start-up; exec = POST /containers/{id}/exec + POST /exec/{id}/start (attached: it answers when the process has ended) + GET /exec/{id}/json for the exit code; pause/resume = /pause, /unpause; stats = GET /containers/stats?containers={id}&stream=false; update = POST /containers/{id}/update; signal = POST /containers/{id}/kill; delete = DELETE /containers/{id}?force=true&timeout=0; rpc floor = GET /_ping. The image archive containerd imports is loaded once with `podman load`, outside any timed path.");
  lines.push("- Every system runs the same busybox root filesystem (built by berth's `ensureBusyboxRootfs`; containerd and Podman from the one image archive of that tree) and, except Podman, the same OCI spec (berth's `buildDefaultSpec`).");
  lines.push("");
  lines.push("### Where Podman is not strictly comparable");
  lines.push("");
  lines.push("- Podman builds its own OCI spec from its SpecGenerator and takes no OCI spec over its API. The knobs that cost time where berth's default spec has nothing are matched: no seccomp filter (`seccomp_profile_path: unconfined`), network namespace mode `none`, the image's own /etc/hosts and /etc/resolv.conf (none generated), nofile and nproc rlimits 1024 (also needed: Podman 4.3's defaults exceed what this host allows), no_new_privileges, the k8s-file log driver (a log file written by conmon, like berth's). Podman still adds what it always does (its default capability set and masked paths, a /dev/shm tmpfs, /etc/hostname, a container record in its database).");
  lines.push("- Exits observed as events (run to exit, signal to exit) include `podman container cleanup`, the exit command conmon starts when a container's process ends: Podman logs `died` when a process of its own first reads conmon's exit file, which with nobody else asking is that one. Podman's other way, POST /containers/{id}/wait, polls (every 250 ms by default), so the event stream is the faster of the two.");
  lines.push("- The event storm reads Podman's file events backend (a log file each stream tails) over one HTTP connection per subscriber.");
  lines.push("");
  lines.push("## Clean-up");
  lines.push("");
  lines.push(r.leftBehind.length === 0 ? "Everything the run started was removed: no process, container, mount, cgroup or file was left behind." : `Left behind:\n\n${r.leftBehind.map((l) => `- ${escape(l)}`).join("\n")}`);
  lines.push("");
  return lines.join("\n");
}

/** @param {number | undefined} v */
export function fmtMs(v) {
  if (v === undefined) return "–";
  return v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0);
}

/** @param {number | undefined} v */
export function fmtRatio(v) {
  return v === undefined ? "–" : `${v.toFixed(2)}×`;
}

/** @param {number | undefined} v */
export function fmtMiB(v) {
  return v === undefined ? "–" : `${(v / MIB).toFixed(1)} MiB`;
}

/** @param {number} v */
function fmtInt(v) {
  return Math.round(v).toLocaleString("en-US");
}

/**
 * @param {number} v
 * @param {number} digits
 */
function round(v, digits) {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** @param {string} s */
function escape(s) {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}
