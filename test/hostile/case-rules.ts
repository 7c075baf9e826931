// What the answer to each hostile case must be: the mistakes a request
// makes, each with the status codes that would report it, read from the
// .proto contract and the README (ids, process ids, signals, enum values,
// resources the kernel takes, paths on the host, timestamps), against the
// fixtures' current states. The judge (judge.ts) holds every answer to the
// general rules; the mistakes narrow what a proper answer is.
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { isIP } from "node:net";
import { networkInterfaces } from "node:os";
import { posix } from "node:path";

import {
  ABORTED,
  ALREADY_EXISTS,
  BIG_BYTES,
  FAILED_PRECONDITION,
  INVALID_ARGUMENT,
  NOT_FOUND,
  OK,
  OUT_OF_RANGE,
  PERMISSION_DENIED,
  REFUSED,
  STREAM_MS,
  UNARY_DEADLINE_MS,
  WAIT_DEADLINE_MS,
  type HostileCase,
  type Judged,
  type Mistake,
  type Req,
} from "./case-types.js";
import { isBogusSignal, isEntries, isRepeat, sampleOf, validId } from "./hostile-values.js";
import { NOT_RUNNABLE, validTimestamp } from "./request-arbitraries.js";
import { enumNumbers } from "./rpc-inventory.js";
import { imageMayBlock, STORE_METHODS } from "./image-cases.js";
import { securityMistakes } from "./security-cases.js";
import { parseCpuList, type World } from "./world.js";
import { normalizeReference, parseReference } from "../../src/image/reference.js";
import { parsePlatform } from "../../src/registry/platform.js";
import { normalizeRegistryHost } from "../../src/registry/registry-host.js";

// The numbers each enum declares; anything else is no value of it.
export const STATUSES = enumNumbers("Status");
export const WAIT_CONDITIONS = enumNumbers("WaitCondition");
export const EVENT_TYPES = enumNumbers("EventType");
export const RESTART_KINDS = enumNumbers("RestartPolicy.Kind");

const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];
const REL = (p: string) => p !== "" && !p.startsWith("/");
// networks.proto: Network.name.
const validNetworkName = (s: string) => /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/.test(s) && !s.includes("..");

// processMistakes: what a ProcessSpec gets wrong, as the daemon can tell
// before any process starts.
function processMistakes(p: Req | undefined, required: boolean): Mistake[] {
  const out: Mistake[] = [];
  const { items: argItems, length: argCount } = sampleOf(p?.args);
  const args = argItems as string[];
  if (required && argCount === 0) out.push({ why: "process.args is empty", codes: [INVALID_ARGUMENT] });
  if (args.length > 0 && args[0] === "") out.push({ why: "process.args[0] is empty", codes: [INVALID_ARGUMENT] });
  if (args.length > 0 && NOT_RUNNABLE.includes(args[0]!)) out.push({ why: `process.args[0] ${args[0]} is not a program`, codes: REFUSED });
  const strings = [...args, ...(sampleOf(p?.env).items as string[]), (p?.cwd as string | undefined) ?? ""];
  if (strings.some((s) => s.includes("\0"))) out.push({ why: "a NUL in args, env or cwd", codes: [INVALID_ARGUMENT] });
  if ((sampleOf(p?.env).items as string[]).some((e) => typeof e === "string" && e.indexOf("=") < 1)) out.push({ why: "an env entry that is not KEY=VALUE", codes: [INVALID_ARGUMENT] });
  const cwd = (p?.cwd as string | undefined) ?? "";
  if (REL(cwd)) out.push({ why: "process.cwd is relative", codes: [INVALID_ARGUMENT] });
  const u = p?.user as { uid: number; gid: number; additionalGids: unknown } | undefined;
  if (u !== undefined && [u.uid, u.gid, ...(sampleOf(u.additionalGids).items as number[])].some((n) => n > 2 ** 31 - 1)) {
    out.push({ why: "uid or gid above 2^31-1", codes: [INVALID_ARGUMENT] });
  }
  return out;
}

// updateSetsNothing: an update's resources that name no limit at all.
function updateSetsNothing(r: Req | undefined): Mistake[] {
  if (r === undefined || Object.entries(r).some(([k, v]) => k !== "$typeName" && v !== undefined)) return [];
  return [{ why: "resources sets nothing to update", codes: [INVALID_ARGUMENT] }];
}

// resourceMistakes: values no kernel takes, or a cpuset this host lacks.
function resourceMistakes(r: Req | undefined, world: World): Mistake[] {
  if (r === undefined) return [];
  const out: Mistake[] = [];
  const big = (v: unknown) => (v === undefined ? undefined : BigInt(v as string));
  // berth keeps limits as JavaScript numbers and refuses what they cannot
  // hold exactly (README: a limit is bad input).
  for (const key of ["memoryLimitBytes", "memorySwapLimitBytes", "cpuShares", "cpuQuotaUs", "cpuPeriodUs", "pidsLimit"] as const) {
    const v = big(r[key]);
    if (v !== undefined && (v >= 2n ** 53n || v <= -(2n ** 53n))) out.push({ why: `${key} past 2^53`, codes: [INVALID_ARGUMENT] });
  }
  for (const key of ["memoryLimitBytes", "memorySwapLimitBytes", "cpuQuotaUs", "pidsLimit"] as const) {
    const v = big(r[key]);
    if (v !== undefined && v < -1n) out.push({ why: `${key} below -1`, codes: [INVALID_ARGUMENT] });
  }
  const quota = big(r.cpuQuotaUs);
  if (quota !== undefined && quota > 0n && quota < 1000n) out.push({ why: "cpuQuotaUs under the kernel's 1000 µs", codes: [INVALID_ARGUMENT] });
  const period = big(r.cpuPeriodUs);
  if (period !== undefined && period !== 0n && (period < 1000n || period > 1_000_000n)) out.push({ why: "cpuPeriodUs outside 1000..1000000", codes: [INVALID_ARGUMENT] });
  const set = r.cpusetCpus as string | undefined;
  if (set !== undefined && set !== "") {
    const cpus = parseCpuList(set);
    if (cpus === undefined) out.push({ why: `cpuset ${JSON.stringify(set.slice(0, 20))} is not a cpu list`, codes: [INVALID_ARGUMENT] });
    else if (cpus.some((c) => !world.onlineCpus.includes(c))) out.push({ why: "cpuset names CPUs this host lacks", codes: [INVALID_ARGUMENT] });
  }
  return out;
}

// The reference, platform and host grammars are the daemon's own
// (src/image/reference.ts, src/registry): the rules ask them, then say what
// each answer must be.
function referenceMistake(reference: unknown): boolean {
  try {
    parseReference(reference as string);
    return false;
  } catch {
    return true;
  }
}

function platformMistake(platform: unknown): boolean {
  if (platform === undefined || platform === "") return false;
  try {
    parsePlatform(platform as string);
    return false;
  } catch {
    return true;
  }
}

function serverMistake(server: unknown): boolean {
  try {
    normalizeRegistryHost(server as string);
    return false;
  } catch {
    return true;
  }
}

function credentialMistake(value: unknown, username: boolean): boolean {
  const text = (value as string | undefined) ?? "";
  return text === "" || text.length > 4096 || /[\u0000-\u001f\u007f]/.test(text) || (username && text.includes(":"));
}

function idMistakes(id: string, world: World, what = "container id"): Mistake[] {
  if (!validId(id)) return [{ why: `invalid ${what}`, codes: [INVALID_ARGUMENT] }];
  if (!world.known(id)) return [{ why: "no such container", codes: [NOT_FOUND] }];
  return [];
}

// processIdMistakes: for RPCs where "" and "init" name the init process.
function processIdMistakes(id: string, processId: string, world: World): Mistake[] {
  if (processId === "" || processId === "init") return [];
  if (!validId(processId)) return [{ why: "invalid process id", codes: [INVALID_ARGUMENT] }];
  if (validId(id) && world.known(id) && !world.hasExec(id, processId)) return [{ why: "no such process", codes: [NOT_FOUND] }];
  return [];
}

// networkMistakes: CreateRequest's network, ports and dns_servers
// (containers.proto, README Networks): a network name of Network.name's
// form or a mode; ports of 1..65535 (host port 0 picks one), tcp or udp,
// a unicast host address (0.0.0.0 and :: mean every one; ::1 cannot be
// forwarded), no host port twice, none with network none or host; at most
// 8 DNS servers, each an address. Then what only the daemon knows: a
// network never made, the default being none (ports need a bridge), a v6
// host address on a v4-only network, a host port the suite holds, a host
// address this host lacks.
function networkMistakes(r: Req, world: World): Mistake[] {
  const out: Mistake[] = [];
  const name = (r.network as string | undefined) ?? "";
  const mode = name === "" || name === "none" || name === "host";
  if (!mode && !validNetworkName(name)) out.push({ why: "invalid network name", codes: [INVALID_ARGUMENT] });
  const { items, length } = sampleOf(r.ports);
  const ports = (items as Req[]).map((p) => ({
    hostIp: p.hostIp === "0.0.0.0" || p.hostIp === "::" ? "" : ((p.hostIp as string | undefined) ?? ""),
    hostPort: (p.hostPort as number | undefined) ?? 0,
    containerPort: (p.containerPort as number | undefined) ?? 0,
    protocol: (p.protocol as string | undefined) || "tcp",
  }));
  if (length > 256) out.push({ why: "ports past their 256-entry bound", codes: [INVALID_ARGUMENT] });
  for (const p of ports) {
    if (p.protocol !== "tcp" && p.protocol !== "udp") out.push({ why: "a protocol that is not tcp or udp", codes: [INVALID_ARGUMENT] });
    if (p.containerPort < 1 || p.containerPort > 65535) out.push({ why: "a container port outside 1..65535", codes: [INVALID_ARGUMENT] });
    if (p.hostPort > 65535) out.push({ why: "a host port past 65535", codes: [INVALID_ARGUMENT] });
    if (p.hostIp !== "" && isIP(p.hostIp) === 0) out.push({ why: "a host_ip that is no IP address", codes: [INVALID_ARGUMENT] });
    else if (p.hostIp === "::1" || /^ff/i.test(p.hostIp) || (isIP(p.hostIp) === 4 && Number(p.hostIp.split(".")[0]) >= 224)) out.push({ why: "a host_ip no port can be forwarded from", codes: [INVALID_ARGUMENT] });
  }
  const clash = (a: (typeof ports)[0], b: (typeof ports)[0]) => a.hostPort !== 0 && a.hostPort === b.hostPort && a.protocol === b.protocol && (a.hostIp === b.hostIp || a.hostIp === "" || b.hostIp === "");
  if (ports.some((a, i) => ports.slice(0, i).some((b) => clash(a, b)))) out.push({ why: "one host port published twice", codes: [INVALID_ARGUMENT] });
  if (ports.length > 0 && (name === "none" || name === "host")) out.push({ why: `ports with network ${name}`, codes: [INVALID_ARGUMENT] });
  const dns = sampleOf(r.dnsServers);
  if (dns.length > 8) out.push({ why: "more than 8 dns_servers", codes: [INVALID_ARGUMENT] });
  if ((dns.items as string[]).some((d) => isIP(d) === 0)) out.push({ why: "a DNS server that is no IP address", codes: [INVALID_ARGUMENT] });
  if (out.length > 0) return out;
  if (!mode && name !== world.network) return [{ why: "no such network", codes: [NOT_FOUND] }];
  if (name === "" && ports.length > 0) return [{ why: "ports with the default, network none", codes: [INVALID_ARGUMENT] }];
  if (name !== world.network) return [];
  if (ports.some((p) => p.hostIp.includes(":"))) return [{ why: "an IPv6 host_ip on a network without IPv6", codes: [INVALID_ARGUMENT] }];
  if (ports.some((p) => p.hostPort !== 0 && p.hostPort === world.takenPort && p.protocol === "tcp" && (p.hostIp === "" || p.hostIp === "127.0.0.1"))) {
    out.push({ why: "a host port the suite holds", codes: [ALREADY_EXISTS, FAILED_PRECONDITION] });
  }
  if (ports.some((p) => p.hostIp !== "" && !hostAddresses().includes(p.hostIp))) out.push({ why: "a host_ip this host does not have", codes: [INVALID_ARGUMENT] });
  // Any other host port may be free or held by some process of the host.
  if (out.length === 0 && ports.some((p) => p.hostPort !== 0 && p.hostPort !== world.takenPort)) out.push({ why: "a host port that may be in use", codes: [OK, ALREADY_EXISTS] });
  return out;
}

function hostAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address));
}

const HOSTNAME = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function mountMistakes(mounts: unknown): Mistake[] {
  const out: Mistake[] = [];
  for (const m of sampleOf(mounts).items as Req[]) {
    const source = (m.source as string | undefined) ?? "";
    const destination = (m.destination as string | undefined) ?? "";
    if (source === "" || REL(source)) out.push({ why: "mount source empty or relative", codes: [INVALID_ARGUMENT] });
    else if (source.includes("\0") || !existsSync(source)) out.push({ why: "mount source does not exist", codes: [INVALID_ARGUMENT, NOT_FOUND] });
    if (destination === "" || REL(destination) || destination.includes("\0")) out.push({ why: "mount destination empty or relative", codes: [INVALID_ARGUMENT] });
    else {
      const d = posix.normalize(destination);
      if (d === "/proc" || d.startsWith("/proc/")) out.push({ why: "mount over /proc", codes: [INVALID_ARGUMENT] });
    }
  }
  return out;
}

// hookMistakes: CreateRequest.hooks (containers.proto, types.proto Hook):
// an absolute path to an executable file on the host (start_container's is
// looked up inside the container, by runc), KEY=VALUE env, a timeout of 1
// to 3600 s, at most 64 hooks a stage. A program that fails (false) fails
// the Create in every stage but poststop: no mistake of the request's
// form, so any proper code will do.
function hookMistakes(hooks: Req | undefined): Mistake[] {
  if (hooks === undefined) return [];
  const out: Mistake[] = [];
  for (const [stage, list] of Object.entries(hooks)) {
    const { items, length } = sampleOf(list);
    if (length > 64) out.push({ why: `more than 64 ${stage} hooks`, codes: [INVALID_ARGUMENT] });
    for (const h of items as Req[]) {
      const path = (h.path as string | undefined) ?? "";
      const timeout = h.timeoutSeconds as number | undefined;
      if (path === "" || REL(path) || path.includes("\0") || path.length > 4095) out.push({ why: "a hook path empty, relative or not a path", codes: [INVALID_ARGUMENT] });
      else if (stage !== "startContainer" && (!existsSync(path) || isDir(path) || !isExecutable(path))) out.push({ why: "a hook path that is no program on the host", codes: [INVALID_ARGUMENT] });
      if ((sampleOf(h.args).items as string[]).some((a) => a.includes("\0"))) out.push({ why: "a hook argument with a NUL", codes: [INVALID_ARGUMENT] });
      if ((sampleOf(h.env).items as string[]).some((e) => e.indexOf("=") < 1 || e.includes("\0"))) out.push({ why: "a hook env entry that is not KEY=VALUE", codes: [INVALID_ARGUMENT] });
      if (timeout !== undefined && (timeout < 1 || timeout > 3600)) out.push({ why: "a hook timeout outside 1..3600 s", codes: [INVALID_ARGUMENT] });
    }
  }
  return out;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function rootfsMistakes(rootfs: Req | undefined, world: World): Mistake[] {
  if (rootfs === undefined) return [];
  const out: Mistake[] = [];
  const path = rootfs.path as string | undefined;
  const image = rootfs.imagePath as string | undefined;
  if (path !== undefined) {
    if (path === "" || REL(path)) out.push({ why: "rootfs.path empty or relative", codes: [INVALID_ARGUMENT] });
    else if (!existsSync(path)) out.push({ why: "rootfs.path does not exist", codes: [INVALID_ARGUMENT, NOT_FOUND] });
    else if (!isDir(path)) out.push({ why: "rootfs.path is no folder", codes: [INVALID_ARGUMENT] });
    else if (path === world.paths.emptyDir || path === world.paths.dir) out.push({ why: "rootfs.path holds no root filesystem", codes: REFUSED });
  }
  if (image !== undefined) {
    if (image === "" || REL(image)) out.push({ why: "rootfs.image_path empty or relative", codes: [INVALID_ARGUMENT] });
    else if (!existsSync(image)) out.push({ why: "rootfs.image_path does not exist", codes: [INVALID_ARGUMENT, NOT_FOUND] });
    else out.push({ why: "rootfs.image_path is no archive", codes: [INVALID_ARGUMENT] });
  }
  return out;
}

// copyPathMistakes: containers.proto (CopyTo, CopyFrom): paths are
// absolute, at most PATH_MAX, without NUL.
function copyPathMistakes(field: string, path: string): Mistake[] {
  if (!path.startsWith("/")) return [{ why: `${field} is not absolute`, codes: [INVALID_ARGUMENT] }];
  if (path.includes("\0") || Buffer.byteLength(path) > 4095) return [{ why: `${field} holds a NUL or is past PATH_MAX`, codes: [INVALID_ARGUMENT] }];
  return [];
}

// copyFileMistakes: CopyFile's path is relative, with no "..", and names
// something; its mode is permission bits; uid and gid at most 2^31-1.
function copyFileMistakes(file: Req): Mistake[] {
  const out: Mistake[] = [];
  const path = (file.path as string | undefined) ?? "";
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.length === 0 || parts.includes("..") || path.includes("\0") || Buffer.byteLength(path) > 4095) out.push({ why: "file.path names no file inside dest_dir", codes: [INVALID_ARGUMENT] });
  if (typeof file.mode === "number" && file.mode > 0o7777) out.push({ why: "file.mode past 0o7777", codes: [INVALID_ARGUMENT] });
  if ([file.uid, file.gid].some((n) => typeof n === "number" && n > 2 ** 31 - 1)) out.push({ why: "file uid or gid above 2^31-1", codes: [INVALID_ARGUMENT] });
  return out;
}

// targetOf is the container a resolved request names, if any.
export function targetOf(c: HostileCase, request: unknown): string | undefined {
  if (c.raw) return undefined;
  if (Array.isArray(request)) {
    const start = (request[0] as Req | undefined)?.start as Req | undefined;
    return typeof start?.id === "string" ? start.id : undefined;
  }
  const id = (request as Req).id;
  return typeof id === "string" ? id : undefined;
}

const RUNNING = 2;
const PAUSED = 3;
const STOPPED = 4;
// RESTARTING answers every call as STOPPED does (types.proto, Status).
const RESTARTING = 5;

// judgeCase works out what the answer to a case must be, given its request
// with Refs resolved (world.resolve) and the fixtures' current states.
export function judgeCase(c: HostileCase, world: World, request: unknown): Judged {
  const [service, method] = c.rpc.split("/") as [string, string];
  const namespace = c.namespace ?? world.namespace;
  const mistakes: Mistake[] = [...(c.claims ?? [])];
  let mayBlock = false;
  let deadlineMs = UNARY_DEADLINE_MS;
  const r = (c.raw ? {} : request) as Req;
  const id = typeof r.id === "string" ? r.id : "";
  const pid = typeof r.processId === "string" ? r.processId : "";
  const fixture = world.fixtureNameOf(id);
  const known = world.known(id) ? world.status.get(id) : undefined;
  const status = known === RESTARTING ? STOPPED : known;
  if (c.namespace !== undefined && !validId(c.namespace) && service !== "SystemService") {
    mistakes.push({ why: "invalid namespace", codes: [INVALID_ARGUMENT] });
  }
  // The image store's RPCs carry their mistakes as the case's claims
  // (image-cases.ts); Pull, Login and Logout are judged below.
  if (!c.raw && c.namespace === undefined && service === "ImageService" && STORE_METHODS.includes(method)) mayBlock = imageMayBlock(method, c.endInput === true);
  else if (!c.raw && c.namespace === undefined) {
    switch (method) {
      case "Create": {
        if (!validId(id)) mistakes.push({ why: "invalid container id", codes: [INVALID_ARGUMENT] });
        else if (world.known(id)) mistakes.push({ why: "the id is taken", codes: [ALREADY_EXISTS] });
        const hasSpec = r.ociSpecJson instanceof Uint8Array && r.ociSpecJson.length > 0;
        if (!hasSpec) {
          mistakes.push(...processMistakes(r.process as Req | undefined, true));
          mistakes.push(...resourceMistakes(r.resources as Req | undefined, world));
          mistakes.push(...mountMistakes(r.mounts));
          const size = (r.process as Req | undefined)?.consoleSize as { width: number; height: number } | undefined;
          if (size !== undefined && (size.width > 65535 || size.height > 65535)) mistakes.push({ why: "a console size over 65535", codes: [INVALID_ARGUMENT] });
          const hostname = (r.hostname as string | undefined) ?? "";
          if (hostname !== "" && (hostname.length > 253 || !HOSTNAME.test(hostname))) mistakes.push({ why: "invalid hostname", codes: [INVALID_ARGUMENT] });
          mistakes.push(...securityMistakes(r.security as Req | undefined));
        }
        mistakes.push(...rootfsMistakes(r.rootfs as Req | undefined, world));
        mistakes.push(...hookMistakes(r.hooks as Req | undefined));
        mistakes.push(...networkMistakes(r, world));
        const kind = (r.restartPolicy as Req | undefined)?.kind as number | undefined;
        if (kind !== undefined && !RESTART_KINDS.includes(kind)) mistakes.push({ why: "restart_policy.kind is no RestartPolicy.Kind", codes: [INVALID_ARGUMENT] });
        break;
      }
      case "Signal":
      case "SignalProcess":
        mistakes.push(...idMistakes(id, world));
        if (method === "SignalProcess") {
          // containers.proto: process_id is required ("init" for the init
          // process).
          if (pid === "") mistakes.push({ why: "process_id is required", codes: [INVALID_ARGUMENT] });
          else mistakes.push(...processIdMistakes(id, pid, world));
        }
        if (isBogusSignal(r.signal as string)) mistakes.push({ why: "no such signal", codes: [INVALID_ARGUMENT] });
        if (status === STOPPED) mistakes.push({ why: "the container is stopped", codes: [FAILED_PRECONDITION] });
        break;
      case "AddProcess":
        mistakes.push(...idMistakes(id, world));
        if (pid === "") mistakes.push({ why: "process_id is required", codes: [INVALID_ARGUMENT] });
        else if (pid === "init") mistakes.push({ why: 'process_id "init" is the init process', codes: [INVALID_ARGUMENT] });
        else if (!validId(pid)) mistakes.push({ why: "invalid process id", codes: [INVALID_ARGUMENT] });
        mistakes.push(...processMistakes(r.process as Req | undefined, true));
        {
          const size = (r.process as Req | undefined)?.consoleSize as { width?: number; height?: number } | undefined;
          const bad = (n: number | undefined) => n !== undefined && (n < 0 || n > 65535);
          if (size !== undefined && (bad(size.width) || bad(size.height))) mistakes.push({ why: "process.console_size outside 0..65535", codes: [INVALID_ARGUMENT] });
        }
        if (status === STOPPED || status === PAUSED) mistakes.push({ why: `the container is ${status === PAUSED ? "paused" : "stopped"}`, codes: [FAILED_PRECONDITION] });
        // containers.proto (AddProcessRequest.process_id): only a process
        // that has not exited holds its id; an exited exec's id may be used
        // again. The state is checked before the id, so this is asked only
        // of a running container.
        else if (status === RUNNING && validId(pid) && pid !== "init" && world.execLive(id, pid)) mistakes.push({ why: "the process id is held by a live process", codes: [ALREADY_EXISTS] });
        break;
      case "Resize":
      case "CloseStdin":
      case "Logs":
        mistakes.push(...idMistakes(id, world), ...processIdMistakes(id, pid, world));
        if (method === "Resize") {
          const bad = (n: unknown) => typeof n === "number" && (n < 1 || n > 65535);
          if (bad(r.width) || bad(r.height)) mistakes.push({ why: "a terminal size outside 1..65535", codes: [INVALID_ARGUMENT] });
        }
        if (method === "Logs") {
          if (!validTimestamp(r.since) || !validTimestamp(r.until)) mistakes.push({ why: "a timestamp out of range", codes: [INVALID_ARGUMENT] });
          // README, Limits: Logs tail is at most 1,000,000 lines.
          if ((r.tail as number) > 1_000_000) mistakes.push({ why: "tail past its 1,000,000-line bound", codes: [INVALID_ARGUMENT] });
          mayBlock = r.follow === true;
        }
        break;
      case "Pause":
        mistakes.push(...idMistakes(id, world));
        if (status === STOPPED || status === PAUSED) mistakes.push({ why: `the container is ${status === PAUSED ? "paused" : "stopped"}`, codes: [FAILED_PRECONDITION] });
        break;
      case "Resume":
        mistakes.push(...idMistakes(id, world));
        if (status === RUNNING || status === STOPPED) mistakes.push({ why: "the container is not paused", codes: [FAILED_PRECONDITION] });
        break;
      case "Restore":
      case "Stats":
      case "ListPids":
      case "Summary":
      case "State":
        mistakes.push(...idMistakes(id, world));
        break;
      case "UpdateResources":
        mistakes.push(...idMistakes(id, world), ...resourceMistakes(r.resources as Req | undefined, world), ...updateSetsNothing(r.resources as Req | undefined));
        break;
      case "Start":
      case "Stop":
      case "Restart":
      case "Update": {
        mistakes.push(...idMistakes(id, world));
        if (method === "Stop" || method === "Restart") {
          if (r.signal !== "" && isBogusSignal(r.signal as string)) mistakes.push({ why: "no such signal", codes: [INVALID_ARGUMENT] });
          if (typeof r.timeoutSeconds === "number" && r.timeoutSeconds > 3600) mistakes.push({ why: "a stop timeout over 3600 s", codes: [INVALID_ARGUMENT] });
        }
        if (method === "Update") {
          mistakes.push(...resourceMistakes(r.resources as Req | undefined, world), ...updateSetsNothing(r.resources as Req | undefined));
          if (isEntries((r.labels as Req | undefined)?.values)) mistakes.push({ why: "labels past their 128-entry bound", codes: [INVALID_ARGUMENT] });
          const kind = (r.restartPolicy as Req | undefined)?.kind as number | undefined;
          if (kind !== undefined && !RESTART_KINDS.includes(kind)) mistakes.push({ why: "restart_policy.kind is no RestartPolicy.Kind", codes: [INVALID_ARGUMENT] });
          // containers.proto: an empty stop_signal is SIGTERM, as at Create.
          if (r.stopSignal !== undefined && r.stopSignal !== "" && isBogusSignal(r.stopSignal as string)) mistakes.push({ why: "no such stop signal", codes: [INVALID_ARGUMENT] });
          const runState = r.runState as number | undefined;
          if (runState !== undefined && ![0, RUNNING, PAUSED, STOPPED].includes(runState)) mistakes.push({ why: "run_state is not RUNNING, PAUSED or STOPPED", codes: [INVALID_ARGUMENT] });
        }
        // containers.proto: a stale expected_revision changes nothing.
        if (r.expectedRevision !== undefined && world.known(id)) mistakes.push({ why: "a revision the container has not reached", codes: [ABORTED] });
        break;
      }
      case "Inspect":
        mistakes.push(...idMistakes(id, world));
        break;
      case "Delete":
        mistakes.push(...idMistakes(id, world));
        if (fixture !== undefined) {
          // The suite's fixtures are not Delete's to take: force stays off,
          // so a live one must be refused.
          r.force = false;
          if (status === RUNNING || status === PAUSED) mistakes.push({ why: "the container is live and force is off", codes: [FAILED_PRECONDITION] });
        }
        break;
      case "Wait": {
        mistakes.push(...idMistakes(id, world), ...processIdMistakes(id, pid, world));
        const condition = r.condition as number;
        if (!WAIT_CONDITIONS.includes(condition)) mistakes.push({ why: "condition is no WaitCondition", codes: [INVALID_ARGUMENT] });
        deadlineMs = WAIT_DEADLINE_MS;
        mayBlock = mistakes.length === 0;
        break;
      }
      case "List":
        if ((r.statuses as number[]).some((s) => !STATUSES.includes(s))) mistakes.push({ why: "a status that is no Status", codes: [INVALID_ARGUMENT] });
        break;
      case "Attach": {
        const messages = request as Req[];
        const first = messages[0];
        if (first !== undefined && first.start === undefined) mistakes.push({ why: "the first message is not start", codes: [INVALID_ARGUMENT] });
        if (first === undefined && c.endInput === true) mistakes.push({ why: "the stream ended without a start", codes: [INVALID_ARGUMENT] });
        // A second start is read (and refused) only while the process runs:
        // the stream of one that already exited may end first.
        if (status === RUNNING && messages.slice(1).some((m) => m.start !== undefined)) mistakes.push({ why: "a second start", codes: [INVALID_ARGUMENT] });
        const start = first?.start as Req | undefined;
        if (start !== undefined) {
          const sid = start.id as string;
          const spid = start.processId as string;
          mistakes.push(...idMistakes(sid, world), ...processIdMistakes(sid, spid, world));
        }
        mayBlock = true;
        break;
      }
      case "CreateNetwork":
        // Its subnet is never usable (grpc-cases.ts), and an invalid name
        // is refused first: INVALID_ARGUMENT either way.
        mistakes.push({ why: validNetworkName(r.name as string) ? "the subnet is no usable IPv4 subnet" : "invalid network name", codes: [INVALID_ARGUMENT] });
        break;
      case "InspectNetwork":
      case "RemoveNetwork": {
        const name = r.name as string;
        if (!validNetworkName(name)) mistakes.push({ why: "invalid network name", codes: [INVALID_ARGUMENT] });
        else if (name === world.network) {
          // networks.proto: the default network cannot be removed.
          if (method === "RemoveNetwork") mistakes.push({ why: "the default network cannot be removed", codes: [INVALID_ARGUMENT] });
        } else mistakes.push({ why: "no such network", codes: [NOT_FOUND] });
        break;
      }
      case "UpdateOptions": {
        // system.proto: log_level one of the levels, log_size_max at least
        // 4096 (and what a JavaScript number holds exactly).
        const level = r.logLevel as string | undefined;
        if (level !== undefined && !LOG_LEVELS.includes(level)) mistakes.push({ why: "log_level is no level", codes: [INVALID_ARGUMENT] });
        const max = r.logSizeMax === undefined ? undefined : BigInt(r.logSizeMax as string);
        if (max !== undefined && (max < 4096n || max > 2n ** 53n - 1n)) mistakes.push({ why: "log_size_max under 4096 or past 2^53", codes: [INVALID_ARGUMENT] });
        break;
      }
      case "CopyTo": {
        const messages = request as Req[];
        const first = messages[0];
        if (first !== undefined && first.start === undefined) mistakes.push({ why: "the first message is not start", codes: [INVALID_ARGUMENT] });
        if (first === undefined && c.endInput === true) mistakes.push({ why: "the stream ended without a start", codes: [INVALID_ARGUMENT] });
        const start = first?.start as Req | undefined;
        if (start !== undefined) {
          mistakes.push(...idMistakes(start.id as string, world), ...copyPathMistakes("dest_dir", start.destDir as string));
          const file = start.file as Req | undefined;
          if (file !== undefined) mistakes.push(...copyFileMistakes(file));
          // A path that exists or not, an archive that is one or not: only
          // the container's files tell.
          if (mistakes.length === 0) mistakes.push({ why: "a path or archive only the container can judge", codes: [OK, ...REFUSED] });
        }
        mayBlock = true;
        break;
      }
      case "CopyFrom":
        mistakes.push(...idMistakes(id, world), ...copyPathMistakes("path", r.path as string));
        if (mistakes.length === 0) mistakes.push({ why: "a path only the container can judge", codes: [OK, ...REFUSED] });
        mayBlock = true;
        break;
      case "Pull":
        if (referenceMistake(r.reference)) mistakes.push({ why: "a malformed image reference", codes: [INVALID_ARGUMENT] });
        else if (platformMistake(r.platform)) mistakes.push({ why: "a malformed platform", codes: [INVALID_ARGUMENT] });
        else if (parseReference(r.reference as string).registry === "berth.local") {
          if (normalizeReference(r.reference as string) !== "berth.local/busybox:latest") mistakes.push({ why: "a berth.local name that is no built-in image", codes: [NOT_FOUND] });
        } else mistakes.push({ why: "a registry the daemon may not reach", codes: [PERMISSION_DENIED] });
        break;
      case "Login":
        if (serverMistake(r.server)) mistakes.push({ why: "a malformed registry host", codes: [INVALID_ARGUMENT] });
        else if (credentialMistake(r.username, true) || credentialMistake(r.password, false)) mistakes.push({ why: "an empty, huge or control-character credential", codes: [INVALID_ARGUMENT] });
        else mistakes.push({ why: "a registry the daemon may not reach", codes: [PERMISSION_DENIED] });
        break;
      case "Logout":
        if (serverMistake(r.server)) mistakes.push({ why: "a malformed registry host", codes: [INVALID_ARGUMENT] });
        break;
      case "Subscribe":
        if ((sampleOf(r.containerIds).items as string[]).some((cid) => !validId(cid))) mistakes.push({ why: "an invalid id in container_ids", codes: [INVALID_ARGUMENT] });
        if ((r.types as number[] | undefined)?.some((t) => !EVENT_TYPES.includes(t))) mistakes.push({ why: "a type that is no EventType", codes: [INVALID_ARGUMENT] });
        if (!validTimestamp(r.since) || !validTimestamp(r.until)) mistakes.push({ why: "a timestamp out of range", codes: [INVALID_ARGUMENT] });
        // Any since_sequence may be past the last event or older than the
        // journal holds (OUT_OF_RANGE); past a million it surely is.
        if (r.sinceSequence !== undefined && BigInt(r.sinceSequence as string) > 1_000_000n) mistakes.push({ why: "since_sequence past the last event", codes: [OUT_OF_RANGE] });
        else if (mistakes.length > 0 && r.sinceSequence !== undefined && BigInt(r.sinceSequence as string) > 0n) mistakes.push({ why: "since_sequence maybe past the last event", codes: [OUT_OF_RANGE] });
        mayBlock = true;
        break;
    }
  }
  // Every field of a request is validated before anything is looked up
  // (README, Errors: bad input is checked before anything reaches runc;
  // test/remote/request-validation.test.ts), so an invalid field is INVALID_ARGUMENT whatever the
  // container's existence or state: a mistake only INVALID_ARGUMENT
  // reports leaves no room for the lookup's NOT_FOUND, ALREADY_EXISTS or
  // FAILED_PRECONDITION, nor for what only the host or runtime reveals.
  const invalid = mistakes.filter((m) => m.codes.length === 1 && m.codes[0] === INVALID_ARGUMENT);
  if (invalid.length > 0) mistakes.splice(0, mistakes.length, ...invalid);
  if (c.raw) mayBlock = true;
  // A request past any sensible size may be refused for its size first:
  // INVALID_ARGUMENT naming a bound, or RESOURCE_EXHAUSTED for the message.
  const huge = approxBytes(request) > BIG_BYTES || hasRecipe(request);
  if (huge && mistakes.length > 0) mistakes.push({ why: "the request is past a size bound", codes: [INVALID_ARGUMENT] });
  return {
    rpc: c.rpc,
    service,
    method,
    input: c.input,
    request,
    raw: c.raw === true,
    endInput: c.endInput === true,
    namespace,
    mistakes,
    expectOk: mistakes.length === 0 ? c.expectOk : undefined,
    mayBlock,
    big: huge,
    deadlineMs,
    streamMs: STREAM_MS,
  };
}

function hasRecipe(value: unknown): boolean {
  if (isRepeat(value) || isEntries(value)) return true;
  if (Array.isArray(value)) return value.some(hasRecipe);
  if (value !== null && typeof value === "object" && !(value instanceof Uint8Array)) return Object.values(value).some(hasRecipe);
  return false;
}

// approxBytes is about a request's encoded size: its strings and bytes.
export function approxBytes(value: unknown): number {
  if (isRepeat(value)) return approxBytes(value.head ?? []) + value.$repeat * (approxBytes(value.item) + 2);
  if (isEntries(value)) return value.$entries * (value.key.length + value.value.length + 8);
  if (typeof value === "string") return value.length;
  if (value instanceof Uint8Array) return value.length;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + approxBytes(v) + 2, 0);
  if (value !== null && typeof value === "object") return Object.entries(value).reduce((n, [k, v]) => n + k.length + approxBytes(v) + 2, 0);
  return 8;
}

