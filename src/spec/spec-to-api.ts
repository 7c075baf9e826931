// specToApi reads an OCI spec back into the API's terms, for Inspect: the
// init process as a ProcessSpec and the cgroup limits as Resources. Only
// what the API can say is read; the whole spec goes out as JSON beside it.
import { create } from "@bufbuild/protobuf";

import { HookSchema, HooksSchema, ProcessSpecSchema, ResourcesSchema, type Hooks, type ProcessSpec, type Resources } from "../gen/berth/v1/types_pb.js";
import { HOOK_STAGES, type HookSet } from "./hook-spec.js";
import type { OciLinuxResources, OciProcess } from "./oci-spec.js";

export function processSpecOf(process: OciProcess | undefined, stdin: boolean): ProcessSpec {
  return create(ProcessSpecSchema, {
    args: process?.args ?? [],
    env: process?.env ?? [],
    cwd: process?.cwd ?? "",
    user: process && { uid: process.user.uid, gid: process.user.gid, additionalGids: process.user.additionalGids ?? [] },
    terminal: process?.terminal === true,
    consoleSize: process?.consoleSize,
    stdin,
  });
}

export function resourcesOf(r: OciLinuxResources | undefined): Resources {
  return create(ResourcesSchema, {
    memoryLimitBytes: bigintOf(r?.memory?.limit),
    memorySwapLimitBytes: bigintOf(r?.memory?.swap),
    memoryReservationBytes: bigintOf(r?.memory?.reservation),
    cpuShares: bigintOf(r?.cpu?.shares),
    cpuQuotaUs: bigintOf(r?.cpu?.quota),
    cpuPeriodUs: bigintOf(r?.cpu?.period),
    cpusetCpus: r?.cpu?.cpus,
    pidsLimit: bigintOf(r?.pids?.limit),
    blkioWeight: r?.blockIO?.weight,
  });
}

function bigintOf(n: number | undefined): bigint | undefined {
  return n === undefined ? undefined : BigInt(n);
}

// hooksOf is a container's hooks as the API says them.
export function hooksOf(set: HookSet | undefined): Hooks {
  const hooks = create(HooksSchema);
  for (const stage of HOOK_STAGES) {
    hooks[stage] = (set?.[stage] ?? []).map((h) => create(HookSchema, { path: h.path, args: h.args ?? [], env: h.env ?? [], timeoutSeconds: h.timeout }));
  }
  return hooks;
}
