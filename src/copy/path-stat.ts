// pathStatOf is CopyFrom's first message: what docker's
// X-Docker-Container-Path-Stat header says of the copied path.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Stats } from "node:fs";

import type { IdMappings } from "../api/id-mapping.js";
import { PathStatSchema, PathType, type PathStat } from "../gen/berth/v1/copy_pb.js";
import { containerOwner } from "./owner-map.js";

export function pathStatOf(name: string, st: Stats, linkTarget: string, maps?: IdMappings): PathStat {
  const owner = containerOwner(maps, { uid: st.uid, gid: st.gid });
  return create(PathStatSchema, {
    name,
    type: st.isFile() ? PathType.FILE : st.isDirectory() ? PathType.DIRECTORY : st.isSymbolicLink() ? PathType.SYMLINK : PathType.OTHER,
    size: BigInt(st.size),
    mode: st.mode,
    mtime: timestampFromDate(st.mtime),
    linkTarget,
    uid: owner.uid,
    gid: owner.gid,
  });
}
