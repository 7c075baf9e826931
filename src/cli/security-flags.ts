// The privilege flags of run and create, with Docker's names and syntax
// (--cap-add, --cap-drop, --privileged, --device, --tmpfs, --user,
// --security-opt seccomp=...), and the SecurityOptions they make. Names and
// values are checked by the daemon, which knows the capability list and the
// container's /etc/passwd; only the syntax is the CLI's.
import { readFileSync } from "node:fs";

import type { CreateOptions } from "../client/client.js";
import { UsernsMode } from "../gen/berth/v1/security_pb.js";
import { flag, listOption, stringOption, type CommandContext } from "./command.js";
import type { OptionSpec } from "./parse-argv.js";
import { UsageError } from "./usage-error.js";

export const SECURITY_FLAGS: OptionSpec[] = [
  { name: "user", short: "u", type: "string", value: "USER[:GROUP]", help: "user (name or uid) and group to run as, looked up in the container's /etc/passwd" },
  { name: "cap-add", type: "string", multiple: true, value: "CAP", help: "add a capability (NET_ADMIN, SYS_TIME, ALL; repeatable)" },
  { name: "cap-drop", type: "string", multiple: true, value: "CAP", help: "drop a capability (NET_RAW, ALL; repeatable)" },
  { name: "privileged", type: "boolean", help: "every capability and host device, no seccomp, no masked /proc paths" },
  { name: "device", type: "string", multiple: true, value: "HOST[:CONTAINER][:rwm]", help: "pass a host device node (repeatable)" },
  { name: "tmpfs", type: "string", multiple: true, value: "PATH[:OPTS]", help: "mount a tmpfs, options comma-separated (size=64m,mode=1777; repeatable)" },
  { name: "security-opt", type: "string", multiple: true, value: "seccomp=unconfined|FILE", help: "seccomp profile: unconfined, or a JSON profile file" },
  { name: "userns", type: "string", value: "host|auto[:size=N]", help: "user namespace: the host's (default), or one of its own on a block of the daemon's subordinate range (65536 ids unless size=N)" },
  { name: "uidmap", type: "string", multiple: true, value: "CONTAINER:HOST:SIZE", help: "map container uids to host uids in a user namespace of its own (repeatable; with --gidmap)" },
  { name: "gidmap", type: "string", multiple: true, value: "CONTAINER:HOST:SIZE", help: "map container gids to host gids (repeatable; with --uidmap)" },
];

type Security = NonNullable<CreateOptions["security"]>;

// securityOf returns the SecurityOptions the flags ask for, or undefined.
export function securityOf(ctx: CommandContext): Security | undefined {
  const out: Security = {};
  const user = stringOption(ctx, "user");
  if (user !== undefined) {
    if (user === "") throw new UsageError("--user needs a user: a name or uid, optionally :group");
    out.user = user;
  }
  const capAdd = listOption(ctx, "cap-add");
  if (capAdd.length > 0) out.capAdd = capAdd;
  const capDrop = listOption(ctx, "cap-drop");
  if (capDrop.length > 0) out.capDrop = capDrop;
  if (flag(ctx, "privileged")) out.privileged = true;
  const devices = listOption(ctx, "device").map(parseDevice);
  if (devices.length > 0) out.devices = devices;
  const tmpfs = listOption(ctx, "tmpfs").map(parseTmpfs);
  if (tmpfs.length > 0) out.tmpfs = tmpfs;
  for (const opt of listOption(ctx, "security-opt")) out.seccomp = parseSecurityOpt(opt);
  const userns = usernsOf(stringOption(ctx, "userns"), listOption(ctx, "uidmap"), listOption(ctx, "gidmap"));
  if (userns !== undefined) out.userns = userns;
  return Object.keys(out).length > 0 ? out : undefined;
}

// usernsOf reads Podman's --userns host|auto[:size=N] and --uidmap/--gidmap
// CONTAINER:HOST:SIZE; the daemon checks the numbers.
export function usernsOf(mode: string | undefined, uidmap: readonly string[], gidmap: readonly string[]): Security["userns"] {
  if (uidmap.length > 0 || gidmap.length > 0) {
    if (mode !== undefined) throw new UsageError("--uidmap and --gidmap make a user namespace of their own: leave out --userns");
    return { mode: UsernsMode.MAPPINGS, uidMappings: uidmap.map((m) => parseIdMap("--uidmap", m)), gidMappings: gidmap.map((m) => parseIdMap("--gidmap", m)) };
  }
  if (mode === undefined) return undefined;
  if (mode === "host") return { mode: UsernsMode.HOST };
  const auto = /^auto(?::size=(\d{1,10}))?$/.exec(mode);
  if (auto === null) throw new UsageError(`--userns ${JSON.stringify(mode)} must be host, auto or auto:size=N`);
  return { mode: UsernsMode.AUTO, ...(auto[1] !== undefined && { size: Number(auto[1]) }) };
}

function parseIdMap(flagName: string, text: string): { containerId: number; hostId: number; size: number } {
  const m = /^(\d{1,10}):(\d{1,10}):(\d{1,10})$/.exec(text);
  if (m === null) throw new UsageError(`${flagName} ${JSON.stringify(text)} must be CONTAINER:HOST:SIZE, e.g. 0:2000000000:65536`);
  return { containerId: Number(m[1]), hostId: Number(m[2]), size: Number(m[3]) };
}

// parseDevice reads Docker's HOST[:CONTAINER][:PERMISSIONS].
export function parseDevice(text: string): { hostPath: string; containerPath?: string; permissions?: string } {
  const parts = text.split(":");
  const isPermissions = (p: string) => /^[rwm]{1,3}$/.test(p);
  const [hostPath = "", second, third] = parts;
  if (hostPath === "" || parts.length > 3 || parts.some((p) => p === "")) {
    throw new UsageError(`--device ${JSON.stringify(text)} must be HOST[:CONTAINER][:PERMISSIONS], e.g. /dev/fuse or /dev/sdb:/dev/xvdb:r`);
  }
  if (second === undefined) return { hostPath };
  if (third === undefined) return isPermissions(second) ? { hostPath, permissions: second } : { hostPath, containerPath: second };
  return { hostPath, containerPath: second, permissions: third };
}

// parseTmpfs reads Docker's PATH[:OPTIONS] with comma-separated options.
export function parseTmpfs(text: string): { destination: string; options?: string[] } {
  const at = text.indexOf(":");
  const destination = at === -1 ? text : text.slice(0, at);
  if (destination === "") throw new UsageError(`--tmpfs ${JSON.stringify(text)} must be PATH[:OPTIONS], e.g. /run:size=64m,mode=755`);
  if (at === -1) return { destination };
  const options = text.slice(at + 1).split(",").filter((o) => o !== "");
  return { destination, options };
}

// parseSecurityOpt reads seccomp=unconfined or seccomp=FILE; the file is
// read here, on the caller's side, as Docker does.
function parseSecurityOpt(text: string): Security["seccomp"] {
  const eq = text.indexOf("=");
  const key = eq === -1 ? text : text.slice(0, eq);
  const value = eq === -1 ? "" : text.slice(eq + 1);
  if (key !== "seccomp" || value === "") {
    throw new UsageError(`--security-opt ${JSON.stringify(text)}: berth takes seccomp=unconfined or seccomp=FILE (a JSON profile)`);
  }
  if (value === "unconfined") return { unconfined: true };
  try {
    return { profileJson: readFileSync(value) };
  } catch (err) {
    throw new UsageError(`--security-opt seccomp=${value}: cannot read the profile (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}
