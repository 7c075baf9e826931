// The owners of files copied into and out of a container in a user
// namespace of its own: a tar entry's owner is the container's id, which
// is written on the host as the id its namespace maps it to, and read back
// the other way, as docker's archiver does with its idtools.IdentityMapping.
import { OVERFLOW_ID, toContainerId, toHostId, type IdMappings } from "../api/id-mapping.js";
import { invalidArgument } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";

export interface Owner {
  uid: number;
  gid: number;
}

// hostOwner is the host owner of an entry owned by owner inside; an id
// the namespace does not map cannot be written (the kernel would refuse
// the container the same chown).
export function hostOwner(maps: IdMappings | undefined, owner: Owner, name: string): Owner {
  if (maps === undefined) return owner;
  const uid = toHostId(maps.uid, owner.uid);
  const gid = toHostId(maps.gid, owner.gid);
  if (uid === undefined || gid === undefined) {
    throw invalidArgument(
      `archive entry ${quote(name)} is owned by ${owner.uid}:${owner.gid}, which the container's user namespace does not map: give owners inside its mappings`,
    );
  }
  return { uid, gid };
}

// containerOwner is the owner inside of a file the host sees owned by
// owner: the overflow id (nobody) for an id the namespace does not map.
export function containerOwner(maps: IdMappings | undefined, owner: Owner): Owner {
  if (maps === undefined) return owner;
  return { uid: toContainerId(maps.uid, owner.uid) ?? OVERFLOW_ID, gid: toContainerId(maps.gid, owner.gid) ?? OVERFLOW_ID };
}
