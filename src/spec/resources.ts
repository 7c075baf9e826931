import { invalidArgument } from "../errors/berth-error.js";
import { checkCpuList } from "./host-checks.js";
import type { OciLinuxResources } from "./oci-spec.js";

// Integer fields arrive as bigint from protobuf int64/uint64 and as number
// from TypeScript callers; either is accepted.
type Integer = bigint | number;

// ResourceOptions mirrors berth.v1.Resources: unset means "unlimited" on
// create and "leave as is" on update; -1 means unlimited where allowed.
export interface ResourceOptions {
  memoryLimitBytes?: Integer | undefined;
  memorySwapLimitBytes?: Integer | undefined;
  cpuShares?: Integer | undefined;
  cpuQuotaUs?: Integer | undefined;
  cpuPeriodUs?: Integer | undefined;
  pidsLimit?: Integer | undefined;
  cpusetCpus?: string | undefined;
}

export interface CheckedResources {
  memory?: number;
  swap?: number;
  shares?: number;
  quota?: number;
  period?: number;
  pids?: number;
  cpus?: string;
}

const MIB = 1024 * 1024;
// Below this a container's init cannot even start (runc alone needs a few
// MiB), so a smaller limit is a unit mistake, not a wish.
const MIN_MEMORY = 4 * MIB;
const UNLIMITED = -1;

// toLinuxResources turns resources into the spec's linux.resources, for
// create. Device rules are not resources of the request and are left to the
// spec builder.
export function toLinuxResources(resources: ResourceOptions | undefined): OciLinuxResources {
  const r = checkResources(resources ?? {});
  if (r.swap !== undefined && r.swap !== UNLIMITED && r.memory === undefined) {
    throw invalidArgument("memory_swap_limit_bytes needs memory_limit_bytes too: swap is counted as memory plus swap; set both");
  }
  const out: OciLinuxResources = {};
  if (r.memory !== undefined || r.swap !== undefined) {
    out.memory = { ...(r.memory !== undefined && { limit: r.memory }), ...(r.swap !== undefined && { swap: r.swap }) };
  }
  if (r.shares !== undefined || r.quota !== undefined || r.period !== undefined || r.cpus !== undefined) {
    out.cpu = {
      ...(r.shares !== undefined && { shares: r.shares }),
      ...(r.quota !== undefined && { quota: r.quota }),
      ...(r.period !== undefined && { period: r.period }),
      ...(r.cpus !== undefined && { cpus: r.cpus }),
    };
  }
  if (r.pids !== undefined) out.pids = { limit: r.pids };
  return out;
}

// checkResourceUpdate validates the resources of an update and returns them
// as plain numbers; it throws INVALID_ARGUMENT when nothing is set.
export function checkResourceUpdate(resources: ResourceOptions): CheckedResources {
  const r = checkResources(resources);
  if (Object.keys(r).length === 0) {
    throw invalidArgument(
      "resources sets nothing to update: give at least one of memory_limit_bytes, memory_swap_limit_bytes, cpu_shares, cpu_quota_us, cpu_period_us, pids_limit, cpuset_cpus",
    );
  }
  return r;
}

function checkResources(resources: ResourceOptions): CheckedResources {
  const memory = integer("memory_limit_bytes", resources.memoryLimitBytes);
  const swap = integer("memory_swap_limit_bytes", resources.memorySwapLimitBytes);
  const shares = integer("cpu_shares", resources.cpuShares);
  const quota = integer("cpu_quota_us", resources.cpuQuotaUs);
  const period = integer("cpu_period_us", resources.cpuPeriodUs);
  const pids = integer("pids_limit", resources.pidsLimit);

  if (memory !== undefined && memory !== UNLIMITED && memory < MIN_MEMORY) {
    throw invalidArgument(`memory_limit_bytes ${memory} is below the ${MIN_MEMORY} (4 MiB) minimum: give bytes, e.g. ${32 * MIB} for 32 MiB, or -1 for no limit`);
  }
  if (swap !== undefined && swap !== UNLIMITED) {
    if (swap < MIN_MEMORY) {
      throw invalidArgument(`memory_swap_limit_bytes ${swap} is below the ${MIN_MEMORY} (4 MiB) minimum: it counts memory plus swap, in bytes; or -1 for unlimited swap`);
    }
    if (memory !== undefined && memory !== UNLIMITED && swap < memory) {
      throw invalidArgument(`memory_swap_limit_bytes ${swap} is less than memory_limit_bytes ${memory}: it counts memory plus swap, so give at least ${memory} (equal means no swap)`);
    }
  }
  if (shares !== undefined && (shares < 2 || shares > 262144)) {
    throw invalidArgument(`cpu_shares ${shares} is out of range: give a relative weight from 2 to 262144 (1024 is the default)`);
  }
  if (quota !== undefined && quota !== UNLIMITED && quota < 1000) {
    throw invalidArgument(`cpu_quota_us ${quota} is too small: give at least 1000 microseconds per period, or -1 for no quota`);
  }
  if (period !== undefined && (period < 1000 || period > 1_000_000)) {
    throw invalidArgument(`cpu_period_us ${period} is out of range: give 1000 to 1000000 microseconds (100000 is the default)`);
  }
  if (pids !== undefined && pids !== UNLIMITED && pids < 1) {
    throw invalidArgument(`pids_limit ${pids} would forbid every process: give a positive limit, or -1 for no limit`);
  }
  const cpus = resources.cpusetCpus;
  if (cpus !== undefined) checkCpuList("cpuset_cpus", cpus);

  return {
    ...(memory !== undefined && { memory }),
    ...(swap !== undefined && { swap }),
    ...(shares !== undefined && { shares }),
    ...(quota !== undefined && { quota }),
    ...(period !== undefined && { period }),
    ...(pids !== undefined && { pids }),
    ...(cpus !== undefined && { cpus }),
  };
}

// integer converts a protobuf int64 to a JSON-safe number; negative values
// other than -1 never mean anything for a cgroup limit.
function integer(field: string, value: Integer | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || (typeof value === "bigint" && BigInt(n) !== value)) {
    throw invalidArgument(`${field} ${String(value)} is not an integer berth can represent exactly: give a whole number below 2^53`);
  }
  if (n < UNLIMITED) throw invalidArgument(`${field} ${n} is negative: give a positive value, or -1 for no limit`);
  return n;
}
