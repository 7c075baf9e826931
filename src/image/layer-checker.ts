// LayerChecker reads a layer's tar stream beside GNU tar (which unpacks the
// same bytes into an empty folder) and refuses the layer when a member could
// reach outside it, or names something the image spec does not allow. GNU
// tar already strips leading "/", skips "..", and makes links to absolute or
// climbing targets only at the end (as placeholders until then), so nothing
// lands outside even before this check; the check turns such a layer into
// a clear INVALID_ARGUMENT instead of an image that half-unpacked. It also
// collects the whiteouts, which become overlayfs's own markers afterwards.
import { posix } from "node:path";
import type { Writable } from "node:stream";

import tar from "tar-stream";

import { BerthError, invalidArgument } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";

const WHITEOUT_PREFIX = ".wh.";
const OPAQUE_WHITEOUT = ".wh..wh..opq";

export interface DirHeader {
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
}

export interface LayerFindings {
  // whiteouts are the paths a whiteout hides (relative, no leading "/").
  whiteouts: string[];
  // markers are the ".wh.*" files tar unpacked, to remove afterwards.
  markers: string[];
  // opaque maps each opaque folder to its header (undefined when the layer
  // does not list the folder itself).
  opaque: Map<string, DirHeader | undefined>;
}

export class LayerChecker {
  readonly input: Writable;
  private readonly done: Promise<LayerFindings>;

  constructor(private readonly layer: string) {
    const extract = tar.extract();
    this.input = extract;
    this.done = this.check(extract);
  }

  findings(): Promise<LayerFindings> {
    return this.done;
  }

  private async check(extract: tar.Extract): Promise<LayerFindings> {
    const found: LayerFindings = { whiteouts: [], markers: [], opaque: new Map() };
    const symlinks = new Set<string>();
    const files = new Set<string>();
    const dirs = new Map<string, DirHeader>();
    try {
      for await (const entry of extract) {
        const h = entry.header;
        entry.resume();
        const name = this.normalize(h.name, "member");
        if (name === "") continue;
        this.refuseThroughSymlink(name, symlinks);
        symlinks.delete(name);
        const base = posix.basename(name);
        const parent = posix.dirname(name) === "." ? "" : posix.dirname(name);
        if (base === OPAQUE_WHITEOUT) {
          found.opaque.set(parent, dirs.get(parent));
          found.markers.push(name);
          continue;
        }
        if (base.startsWith(WHITEOUT_PREFIX)) {
          const hidden = base.slice(WHITEOUT_PREFIX.length);
          if (hidden === "" || hidden === "." || hidden === "..") throw this.refuse(`whiteout ${quote(h.name)} names no file`);
          found.whiteouts.push(parent === "" ? hidden : `${parent}/${hidden}`);
          found.markers.push(name);
          continue;
        }
        switch (h.type) {
          case "symlink":
            symlinks.add(name);
            break;
          case "link": {
            const target = this.normalize(h.linkname ?? "", "hard link target");
            this.refuseThroughSymlink(target, symlinks);
            if (!files.has(target)) {
              throw this.refuse(`hard link ${quote(h.name)} points at ${quote(h.linkname)}, which is no earlier file of this layer (the image spec keeps both ends of a hard link in one layer)`);
            }
            files.add(name);
            break;
          }
          case "directory": {
            const header = { mode: h.mode ?? 0o755, uid: h.uid ?? 0, gid: h.gid ?? 0, mtime: h.mtime ?? new Date(0) };
            dirs.set(name, header);
            if (found.opaque.has(name)) found.opaque.set(name, header);
            break;
          }
          default:
            files.add(name);
        }
      }
    } catch (err) {
      if (err instanceof BerthError) throw err;
      throw this.refuse(`it is not a tar archive (${(err as Error).message})`);
    }
    return found;
  }

  // normalize drops leading "/" and "./" as tar does, and refuses "..".
  private normalize(raw: string, what: string): string {
    const parts = raw.split("/").filter((p) => p !== "" && p !== ".");
    if (parts.includes("..")) throw this.refuse(`${what} ${quote(raw)} climbs out with ".."`);
    return parts.join("/");
  }

  private refuseThroughSymlink(name: string, symlinks: Set<string>): void {
    const parts = name.split("/");
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join("/");
      if (symlinks.has(prefix)) throw this.refuse(`member ${quote(name)} goes through the symlink ${quote(prefix)} of the same layer`);
    }
  }

  private refuse(why: string): Error {
    return invalidArgument(`layer ${this.layer} cannot be unpacked: ${why}`);
  }
}
