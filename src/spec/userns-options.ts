// checkUsernsOptions reads berth.v1.UserNamespace into what Create acts on:
// the host's namespace, an auto block of a size, or explicit mappings
// checked as the kernel (kernel/user_namespace.c, map_write) and runc check
// them, so a bad mapping is INVALID_ARGUMENT before anything is made.
import type { IdMapping } from "../api/id-mapping.js";
import { invalidArgument } from "../errors/berth-error.js";
import { checkEnum } from "../errors/validate.js";
import { UsernsMode, UsernsModeSchema } from "../gen/berth/v1/security_pb.js";
import { checkCount } from "./request-limits.js";

export interface UsernsFields {
  mode?: number | undefined;
  size?: number | undefined;
  uidMappings?: readonly IdMappingFields[] | undefined;
  gidMappings?: readonly IdMappingFields[] | undefined;
}

export interface IdMappingFields {
  containerId?: number | undefined;
  hostId?: number | undefined;
  size?: number | undefined;
}

export type CheckedUserns = { mode: "host" } | { mode: "auto"; size: number } | { mode: "mappings"; uid: IdMapping[]; gid: IdMapping[] };

// The kernel takes at most 340 lines in uid_map (since 4.15).
export const ID_MAPPINGS_MAX_ENTRIES = 340;
// (uid_t)-1 is "no id": no range may reach it.
export const ID_LIMIT = 2 ** 32 - 1;
// Podman's --userns=auto default, enough for any image's ids (nobody is 65534).
export const DEFAULT_AUTO_SIZE = 65536;

export function checkUsernsOptions(u: UsernsFields | undefined, field = "security.userns"): CheckedUserns {
  const mode = u?.mode ?? UsernsMode.UNSPECIFIED;
  checkEnum(`${field}.mode`, mode, UsernsModeSchema);
  const uid = u?.uidMappings ?? [];
  const gid = u?.gidMappings ?? [];
  checkCount(`${field}.uid_mappings`, uid.length, ID_MAPPINGS_MAX_ENTRIES);
  checkCount(`${field}.gid_mappings`, gid.length, ID_MAPPINGS_MAX_ENTRIES);
  const size = u?.size ?? 0;
  if (mode !== UsernsMode.MAPPINGS && (uid.length > 0 || gid.length > 0)) {
    throw invalidArgument(`${field}: uid_mappings and gid_mappings need mode USERNS_MODE_MAPPINGS`);
  }
  if (mode !== UsernsMode.AUTO && size !== 0) throw invalidArgument(`${field}.size is only for mode USERNS_MODE_AUTO`);
  switch (mode) {
    case UsernsMode.AUTO:
      return { mode: "auto", size: size === 0 ? DEFAULT_AUTO_SIZE : size };
    case UsernsMode.MAPPINGS:
      if (uid.length === 0 || gid.length === 0) throw invalidArgument(`${field}: mode USERNS_MODE_MAPPINGS needs both uid_mappings and gid_mappings`);
      return { mode: "mappings", uid: checkMappings(`${field}.uid_mappings`, uid), gid: checkMappings(`${field}.gid_mappings`, gid) };
    default:
      return { mode: "host" };
  }
}

function checkMappings(field: string, given: readonly IdMappingFields[]): IdMapping[] {
  const maps = given.map((g, i) => {
    const m = { containerId: g.containerId ?? 0, hostId: g.hostId ?? 0, size: g.size ?? 0 };
    if (m.size === 0) throw invalidArgument(`${field}[${i}].size is 0: give the number of ids the range maps`);
    for (const side of ["containerId", "hostId"] as const) {
      if (m[side] + m.size > ID_LIMIT) {
        throw invalidArgument(`${field}[${i}]: ${side === "hostId" ? "host_id" : "container_id"} ${m[side]} + size ${m.size} passes ${ID_LIMIT - 1}, the largest id`);
      }
    }
    return m;
  });
  for (const side of ["containerId", "hostId"] as const) {
    const sorted = maps.map((m, i) => ({ ...m, i })).sort((a, b) => a[side] - b[side]);
    for (let k = 1; k < sorted.length; k++) {
      const a = sorted[k - 1]!;
      const b = sorted[k]!;
      if (a[side] + a.size > b[side]) {
        throw invalidArgument(`${field}[${a.i}] and [${b.i}] overlap on the ${side === "hostId" ? "host" : "container"} side: each id may be mapped once`);
      }
    }
  }
  if (maps.every((m) => m.containerId !== 0)) {
    throw invalidArgument(`${field} does not map container id 0: runc sets the container up as its root, so map 0 to a host id`);
  }
  return maps;
}

// overlapsRange says whether a host id of map lies in [start, start+count).
export function overlapsRange(map: readonly IdMapping[], start: number, count: number): boolean {
  return map.some((m) => m.hostId < start + count && start < m.hostId + m.size);
}
