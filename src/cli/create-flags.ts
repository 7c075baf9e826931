// The flags that describe a new container, shared by run and create, and
// the CreateOptions they make with the command.
import { resolve } from "node:path";

import type { CreateOptions } from "../client/client.js";
import { listOption, stringOption, type CommandContext } from "./command.js";
import type { OptionSpec } from "./parse-argv.js";
import { parseHooks } from "./parse-hook.js";
import { parseKeyValues } from "./parse-key-values.js";
import { parseRestartPolicy } from "./parse-restart-policy.js";
import { parsePublish } from "./parse-publish.js";
import { parseVolume } from "./parse-volume.js";
import { PROCESS_FLAGS, processOf } from "./process-flags.js";
import { RESOURCE_FLAGS, resourcesOf } from "./resource-flags.js";
import { SECURITY_FLAGS, securityOf } from "./security-flags.js";
import { PullPolicy } from "../gen/berth/v1/types_pb.js";
import { UsageError } from "./usage-error.js";

export const CREATE_FLAGS: OptionSpec[] = [
  { name: "label", short: "l", type: "string", multiple: true, value: "K=V", help: "set a label (repeatable)" },
  ...PROCESS_FLAGS,
  { name: "rootfs", type: "string", value: "DIR", help: "root filesystem folder on the daemon's host" },
  { name: "image", type: "string", value: "REF", help: "an image of the store by reference or id (busybox:1.36, sha256:...); its entrypoint, cmd, env, user, working dir and stop signal apply" },
  { name: "pull", type: "string", value: "POLICY", help: "when --image is pulled: missing (default), always or never" },
  { name: "image-archive", type: "string", value: "FILE", help: "root filesystem tar or OCI image archive on the daemon's host" },
  { name: "hostname", type: "string", value: "NAME", help: "the container's hostname" },
  {
    name: "volume",
    short: "v",
    type: "string",
    multiple: true,
    value: "HOST:CONTAINER[:ro]",
    help: "bind-mount a host path, read-only with :ro (repeatable)",
  },
  { name: "restart", type: "string", value: "POLICY", help: "restart policy: no, always, unless-stopped, on-failure[:N]" },
  { name: "stop-signal", type: "string", value: "SIG", help: "signal `berth stop` sends first (default SIGTERM)" },
  {
    name: "hook",
    type: "string",
    multiple: true,
    value: "STAGE=PATH[,ARG...]",
    help: "an OCI hook: prestart, createRuntime, createContainer, startContainer, poststart or poststop (repeatable)",
  },
  { name: "network", type: "string", value: "NAME", help: "a network to join, or none or host (default: the daemon's default network)" },
  {
    name: "publish",
    short: "p",
    type: "string",
    multiple: true,
    value: "[IP:][HOSTPORT:]PORT[/udp]",
    help: "publish a container port on the host; no host port picks a free one (repeatable)",
  },
  { name: "dns", type: "string", multiple: true, value: "IP", help: "a DNS server for the container's resolv.conf instead of the host's (repeatable)" },
  ...RESOURCE_FLAGS,
  ...SECURITY_FLAGS,
];

// createOptionsOf builds the container the flags describe; verb names the
// command in messages ("run", "create").
export function createOptionsOf(ctx: CommandContext, verb: string): CreateOptions {
  const rootfsDir = stringOption(ctx, "rootfs");
  const archive = stringOption(ctx, "image-archive");
  const image = stringOption(ctx, "image");
  if ([rootfsDir, archive, image].filter((v) => v !== undefined).length > 1) throw new UsageError("give one of --rootfs, --image and --image-archive");
  const pull = stringOption(ctx, "pull");
  if (pull !== undefined && image === undefined) throw new UsageError("--pull needs --image");
  const hostname = stringOption(ctx, "hostname");
  const restart = stringOption(ctx, "restart");
  const stopSignal = stringOption(ctx, "stop-signal");
  // An empty stop_signal means the default on the wire, which is not what
  // someone who typed the flag meant.
  if (stopSignal === "") throw new UsageError("--stop-signal needs a signal (TERM, 15)");
  const mounts = listOption(ctx, "volume").map(parseVolume);
  const resources = resourcesOf(ctx);
  const hooks = parseHooks(listOption(ctx, "hook"));
  const network = stringOption(ctx, "network");
  const ports = listOption(ctx, "publish").map(parsePublish);
  const dnsServers = listOption(ctx, "dns");
  const security = securityOf(ctx);
  return {
    process: processOf(ctx, verb, image !== undefined),
    labels: parseKeyValues(listOption(ctx, "label"), "--label"),
    ...(resources !== undefined && { resources }),
    ...(security !== undefined && { security }),
    ...(hostname !== undefined && { hostname }),
    ...(mounts.length > 0 && { mounts }),
    ...(hooks !== undefined && { hooks }),
    ...(restart !== undefined && { restartPolicy: parseRestartPolicy(restart) }),
    // The daemon checks the name, as it does for kill: one list of signals.
    ...(stopSignal !== undefined && { stopSignal }),
    ...(network !== undefined && { network }),
    ...(ports.length > 0 && { ports }),
    ...(dnsServers.length > 0 && { dnsServers }),
    // Relative paths mean the caller's folder, not the daemon's.
    ...(rootfsDir !== undefined && { rootfs: { source: { case: "path", value: resolve(rootfsDir) } } }),
    ...(archive !== undefined && { rootfs: { source: { case: "imagePath", value: resolve(archive) } } }),
    ...(image !== undefined && { image }),
    ...(pull !== undefined && { pullPolicy: pullPolicyOf(pull) }),
  };
}

const PULL_POLICIES: Readonly<Record<string, PullPolicy>> = { missing: PullPolicy.MISSING, always: PullPolicy.ALWAYS, never: PullPolicy.NEVER };

function pullPolicyOf(text: string): PullPolicy {
  const policy = PULL_POLICIES[text];
  if (policy === undefined) throw new UsageError(`--pull ${JSON.stringify(text)}: give missing, always or never`);
  return policy;
}
