// Platforms as the image spec names them (os/architecture/variant), and
// the choice of one manifest from an index, as containerd's platforms
// package (the default matcher of core/images/image.go) makes it: the os
// and architecture must be the host's; a variant matches exactly or, for
// arm, a lower variant the host can also run; an exact match wins, then the
// index's order.
import { invalidArgument } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import { hostArchitecture } from "../image/compose-image.js";

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export function hostPlatform(): Platform {
  const architecture = hostArchitecture();
  if (architecture === "arm64") return { os: "linux", architecture, variant: "v8" };
  if (architecture === "arm") {
    const version = (process.config.variables as { arm_version?: string }).arm_version ?? "7";
    return { os: "linux", architecture, variant: `v${version}` };
  }
  return { os: "linux", architecture };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter((part) => part !== undefined && part !== "").join("/");
}

const PLATFORM = /^([a-z0-9_]+)\/([a-z0-9_]+)(?:\/([a-z0-9_]+))?$/;

// parsePlatform reads "os/arch[/variant]" ("linux/arm64", "linux/arm/v7").
export function parsePlatform(text: string): Platform {
  const m = PLATFORM.exec(text);
  if (m === null) throw invalidArgument(`invalid platform ${quote(text)}: give os/architecture[/variant], such as "linux/amd64" or "linux/arm/v7"`);
  return { os: m[1]!, architecture: m[2]!, ...(m[3] !== undefined && { variant: m[3] }) };
}

// variantsFor lists, best first, the variants an image may have to run on
// want (the empty variant: no variant given).
function variantsFor(want: Platform): string[] {
  if (want.architecture === "arm64") return want.variant === undefined || want.variant === "v8" ? ["v8", ""] : [want.variant, ""];
  if (want.architecture === "arm") {
    const n = Number((want.variant ?? "v7").slice(1));
    const lower = [8, 7, 6, 5].filter((v) => v <= n).map((v) => `v${v}`);
    return [...lower, ""];
  }
  if (want.architecture === "amd64") return want.variant === undefined ? ["", "v1"] : [want.variant, ""];
  return [want.variant ?? "", ""];
}

// choosePlatform returns the index of the best entry for want, or -1.
export function choosePlatform(entries: ReadonlyArray<Platform | undefined>, want: Platform): number {
  const ranks = variantsFor(want);
  let best = -1;
  let bestRank = Infinity;
  entries.forEach((p, i) => {
    if (p === undefined || p.os !== want.os || p.architecture !== want.architecture) return;
    const rank = ranks.indexOf(p.variant ?? "");
    if (rank >= 0 && rank < bestRank) {
      best = i;
      bestRank = rank;
    }
  });
  return best;
}
