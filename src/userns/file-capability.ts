// File capabilities (the security.capability xattr) through the owner
// shift: a chown that changes a file's owner makes the kernel drop the
// xattr (cap_inode_killpriv), so shiftOwnership reads it first and writes
// it back made for the container's user namespace, as containers/storage's
// chown driver keeps it.
//
// What the kernel expects (security/commoncap.c): a v2 value (no rootid)
// means "root of the filesystem's user namespace", and a v3 value carries
// the host uid of the root it was set for. On exec, caps are honoured only
// if that rootid is root of the process's user namespace or of one of its
// ancestors (rootid_owns_currentns). So the value is written as v3 with
// rootid the host uid the container's root maps to: honoured inside this
// container, shown to it as a plain (v2) value by getcap, and meaningless
// in any other container's namespace, exactly what the kernel makes of a
// setcap run by the container's own root.
import { toHostId, type IdMappings } from "../api/id-mapping.js";

export const CAPABILITY_XATTR = "security.capability";

const REVISION_MASK = 0xff000000;
const FLAGS_MASK = 0x000000ff;
const V1 = 0x01000000;
const V2 = 0x02000000;
const V3 = 0x03000000;
// struct vfs_cap_data sizes: magic, then 1 (v1) or 2 {permitted,
// inheritable} pairs of u32, then (v3) the rootid.
const V1_SIZE = 12;
const V2_SIZE = 20;
const V3_SIZE = 24;

// shiftCapability returns the value to write back for a file whose value
// was `value` before its owner was shifted by maps, or undefined when no
// value should be written: one of a form the kernel would not take, or a
// v3 value whose root has no id in the container (the kernel would never
// honour it there either).
export function shiftCapability(value: Uint8Array, maps: IdMappings): Buffer | undefined {
  const b = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (b.length < 4) return undefined;
  const magic = b.readUInt32LE(0);
  const revision = (magic & REVISION_MASK) >>> 0;
  const size = revision === V1 ? V1_SIZE : revision === V2 ? V2_SIZE : revision === V3 ? V3_SIZE : -1;
  if (size < 0 || b.length !== size) return undefined;
  // The root it was set for, as the container sees ids: a v3 rootid found
  // in an image layer names a uid inside the image's world, like owners do.
  const root = revision === V3 ? b.readUInt32LE(20) : 0;
  const hostRoot = toHostId(maps.uid, root);
  if (hostRoot === undefined) return undefined;
  const out = Buffer.alloc(V3_SIZE);
  out.writeUInt32LE((V3 | (magic & FLAGS_MASK)) >>> 0, 0);
  b.copy(out, 4, 4, revision === V1 ? V1_SIZE : V2_SIZE);
  out.writeUInt32LE(hostRoot, 20);
  return out;
}
