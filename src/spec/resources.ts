import { invalidArgument } from "../errors/berth-error.js";
import { checkCpuList, checkCpusOnline } from "./host-checks.js";
import { checkBlockIoWeightOnHost } from "./block-io-weight.js";
import { CPU_FRACTION_PERIOD_US, cpuFractionQuota } from "./cpu-fraction.js";
import type { OciLinuxResources, OciSpec } from "./oci-spec.js";

// Integer fields arrive as bigint from protobuf int64/uint64 and as number
// from TypeScript callers; either is accepted.
type Integer = bigint | number;

// ResourceOptions mirrors berth.v1.Resources: unset means "unlimited" on
// create and "leave as is" on update; -1 means unlimited where allowed.
export interface ResourceOptions {
  memoryLimitBytes?: Integer | undefined;
  memorySwapLimitBytes?: Integer | undefined;
  memoryReservationBytes?: Integer | undefined;
  cpuShares?: Integer | undefined;
  cpuQuotaUs?: Integer | undefined;
  cpuPeriodUs?: Integer | undefined;
  // cpus is a fraction of CPUs (1.5), not a cpuset: that is cpusetCpus.
  cpus?: number | undefined;
  pidsLimit?: Integer | undefined;
  cpusetCpus?: string | undefined;
  blkioWeight?: Integer | undefined;
}

// CheckedResources are the resources of a request once checked, as the
// numbers the cgroup files and the OCI spec take. A cpus fraction is
// already turned into quota and period here, so nothing below sees it.
export interface CheckedResources {
  memory?: number;
  swap?: number;
  // reservation is the memory soft limit; -1 removes it.
  reservation?: number;
  shares?: number;
  quota?: number;
  period?: number;
  pids?: number;
  // cpuset is the list of CPUs the container may run on ("0-1").
  cpuset?: string;
  blkioWeight?: number;
}

const MIB = 1024 * 1024;
// Below this a container's init cannot even start (runc alone needs a few
// MiB), so a smaller limit is a unit mistake, not a wish.
const MIN_MEMORY = 4 * MIB;
const UNLIMITED = -1;
// The range of blkio.weight (and runc's); bfq and io.weight take it too,
// io.weight after conversion.
const MIN_BLKIO_WEIGHT = 10;
const MAX_BLKIO_WEIGHT = 1000;

// toLinuxResources turns resources into the spec's linux.resources, for
// create. Device rules are not resources of the request and are left to the
// spec builder.
export function toLinuxResources(resources: ResourceOptions | undefined): OciLinuxResources {
  const r = checkResources(resources ?? {});
  if (r.swap !== undefined && r.swap !== UNLIMITED && r.memory === undefined) {
    throw invalidArgument("memory_swap_limit_bytes needs memory_limit_bytes too: swap is counted as memory plus swap; set both");
  }
  const out: OciLinuxResources = {};
  // A new container has no soft limit to remove.
  if (r.reservation === UNLIMITED) delete r.reservation;
  mergeLinuxResources(out, r);
  return out;
}

// checkResourceUpdate validates the resources of an update and returns them
// as plain numbers; it throws INVALID_ARGUMENT when nothing is set. Checks
// against the container's current limits (a reservation above the limit it
// has) are left to applyResources, which reads them.
export function checkResourceUpdate(resources: ResourceOptions): CheckedResources {
  const r = checkResources(resources);
  if (Object.keys(r).length === 0) {
    throw invalidArgument(
      "resources sets nothing to update: give at least one of memory_limit_bytes, memory_swap_limit_bytes, memory_reservation_bytes, cpu_shares, cpu_quota_us, cpu_period_us, cpus, pids_limit, cpuset_cpus, blkio_weight",
    );
  }
  return r;
}

// checkResourcesOnHost checks checked resources against this host, for an
// update: the CPUs of a cpuset must be online, and the kernel must be able
// to weigh block I/O (runc would fail the next start otherwise). prefix
// leads each field name ("resources.").
export async function checkResourcesOnHost(r: CheckedResources, prefix = ""): Promise<void> {
  if (r.cpuset !== undefined) await checkCpusOnline(`${prefix}cpuset_cpus`, r.cpuset);
  if (r.blkioWeight !== undefined) await checkBlockIoWeightOnHost(`${prefix}blkio_weight`, r.blkioWeight);
}

// applyResourcesToSpec merges an update into spec's linux.resources, so
// the bundle's config.json keeps what the cgroup files were given and a
// restart of the container keeps it too. It throws INVALID_ARGUMENT,
// changing nothing, when an update of the memory limit or reservation
// would leave the reservation above the limit (for a running container,
// applyResources has refused that already, from the cgroup's own values).
export function applyResourcesToSpec(spec: OciSpec, r: CheckedResources): void {
  const memory = spec.linux?.resources?.memory;
  const limit = r.memory ?? memory?.limit;
  const reservation = r.reservation ?? memory?.reservation;
  const touched = r.memory !== undefined || r.reservation !== undefined;
  if (touched && limit !== undefined && limit !== UNLIMITED && reservation !== undefined && reservation !== UNLIMITED && reservation > limit) {
    throw invalidArgument(
      r.memory === undefined
        ? `memory_reservation_bytes ${reservation} is more than the container's memory_limit_bytes ${limit}: give at most ${limit}, or raise memory_limit_bytes with it`
        : `memory_limit_bytes ${limit} is less than the container's memory_reservation_bytes ${reservation}: give at least ${reservation}, or lower memory_reservation_bytes with it (-1 for none)`,
    );
  }
  mergeLinuxResources(((spec.linux ??= {}).resources ??= {}), r);
}

function mergeLinuxResources(res: OciLinuxResources, r: CheckedResources): void {
  if (r.memory !== undefined || r.swap !== undefined || r.reservation !== undefined) {
    const memory = { ...res.memory };
    if (r.memory !== undefined) memory.limit = r.memory;
    if (r.swap !== undefined) memory.swap = r.swap;
    // runc writes a reservation of -1 to cgroup v2's memory.low as "max",
    // the opposite of none: none is leaving it out.
    if (r.reservation === UNLIMITED) delete memory.reservation;
    else if (r.reservation !== undefined) memory.reservation = r.reservation;
    res.memory = memory;
  }
  if (r.shares !== undefined || r.quota !== undefined || r.period !== undefined || r.cpuset !== undefined) {
    res.cpu = {
      ...res.cpu,
      ...(r.shares !== undefined && { shares: r.shares }),
      ...(r.quota !== undefined && { quota: r.quota }),
      ...(r.period !== undefined && { period: r.period }),
      ...(r.cpuset !== undefined && { cpus: r.cpuset }),
    };
  }
  if (r.pids !== undefined) res.pids = { limit: r.pids };
  if (r.blkioWeight !== undefined) res.blockIO = { ...res.blockIO, weight: r.blkioWeight };
}

function checkResources(resources: ResourceOptions): CheckedResources {
  const memory = integer("memory_limit_bytes", resources.memoryLimitBytes);
  const swap = integer("memory_swap_limit_bytes", resources.memorySwapLimitBytes);
  const reservation = integer("memory_reservation_bytes", resources.memoryReservationBytes);
  const shares = integer("cpu_shares", resources.cpuShares);
  let quota = integer("cpu_quota_us", resources.cpuQuotaUs);
  let period = integer("cpu_period_us", resources.cpuPeriodUs);
  const pids = integer("pids_limit", resources.pidsLimit);
  const blkioWeight = integer("blkio_weight", resources.blkioWeight);

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
  if (reservation !== undefined && reservation !== UNLIMITED) {
    if (reservation < MIN_MEMORY) {
      throw invalidArgument(`memory_reservation_bytes ${reservation} is below the ${MIN_MEMORY} (4 MiB) minimum: give bytes, e.g. ${32 * MIB} for 32 MiB, or -1 for no reservation`);
    }
    if (memory !== undefined && memory !== UNLIMITED && reservation > memory) {
      throw invalidArgument(`memory_reservation_bytes ${reservation} is more than memory_limit_bytes ${memory}: a soft limit above the hard limit never applies; give at most ${memory}`);
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
  if (resources.cpus !== undefined) {
    if (quota !== undefined || period !== undefined) {
      throw invalidArgument(
        `cpus cannot be given with cpu_quota_us or cpu_period_us: cpus sets both (cpus × ${CPU_FRACTION_PERIOD_US} µs of every ${CPU_FRACTION_PERIOD_US} µs); give one or the other`,
      );
    }
    quota = cpuFractionQuota(resources.cpus);
    period = CPU_FRACTION_PERIOD_US;
  }
  if (pids !== undefined && pids !== UNLIMITED && pids < 1) {
    throw invalidArgument(`pids_limit ${pids} would forbid every process: give a positive limit, or -1 for no limit`);
  }
  if (blkioWeight !== undefined && (blkioWeight < MIN_BLKIO_WEIGHT || blkioWeight > MAX_BLKIO_WEIGHT)) {
    throw invalidArgument(`blkio_weight ${blkioWeight} is out of range: give a relative weight from ${MIN_BLKIO_WEIGHT} to ${MAX_BLKIO_WEIGHT}`);
  }
  const cpuset = resources.cpusetCpus;
  if (cpuset !== undefined) checkCpuList("cpuset_cpus", cpuset);

  return {
    ...(memory !== undefined && { memory }),
    ...(swap !== undefined && { swap }),
    ...(reservation !== undefined && { reservation }),
    ...(shares !== undefined && { shares }),
    ...(quota !== undefined && { quota }),
    ...(period !== undefined && { period }),
    ...(pids !== undefined && { pids }),
    ...(cpuset !== undefined && { cpuset }),
    ...(blkioWeight !== undefined && { blkioWeight }),
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
