// IdMapping is one range of a user namespace's uid or gid map (OCI
// linux.uidMappings): size ids from containerId inside are hostId.. outside.
export interface IdMapping {
  containerId: number;
  hostId: number;
  size: number;
}

// IdMappings are a user namespace's two maps.
export interface IdMappings {
  uid: IdMapping[];
  gid: IdMapping[];
}

// toHostId is the host's id for id inside the namespace, or undefined when
// the map does not hold it (the kernel shows such an id as the overflow id,
// 65534, and refuses to write it).
export function toHostId(map: readonly IdMapping[], id: number): number | undefined {
  for (const m of map) if (id >= m.containerId && id - m.containerId < m.size) return m.hostId + (id - m.containerId);
  return undefined;
}

// toContainerId is the id inside the namespace of the host's id, or
// undefined when it is not mapped.
export function toContainerId(map: readonly IdMapping[], id: number): number | undefined {
  for (const m of map) if (id >= m.hostId && id - m.hostId < m.size) return m.containerId + (id - m.hostId);
  return undefined;
}

// OVERFLOW_ID is what a user namespace shows of an id it does not map
// (/proc/sys/kernel/overflowuid).
export const OVERFLOW_ID = 65534;
