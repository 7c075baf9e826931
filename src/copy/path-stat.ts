// pathStatOf is CopyFrom's first message: what docker's
// X-Docker-Container-Path-Stat header says of the copied path.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Stats } from "node:fs";

import { PathStatSchema, PathType, type PathStat } from "../gen/berth/v1/copy_pb.js";

export function pathStatOf(name: string, st: Stats, linkTarget: string): PathStat {
  return create(PathStatSchema, {
    name,
    type: st.isFile() ? PathType.FILE : st.isDirectory() ? PathType.DIRECTORY : st.isSymbolicLink() ? PathType.SYMLINK : PathType.OTHER,
    size: BigInt(st.size),
    mode: st.mode,
    mtime: timestampFromDate(st.mtime),
    linkTarget,
    uid: st.uid,
    gid: st.gid,
  });
}
