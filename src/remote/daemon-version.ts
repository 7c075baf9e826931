// versionOf answers SystemService.Version for a daemon started in this
// process: berth's version, and the runtime's and monitor's, asked once.
import { detectCgroupMode } from "../cgroup/cgroup-paths.js";
import type { VersionInfo } from "../api/version-info.js";
import type { Engine } from "../engine/engine.js";
import { conmonVersion } from "../runtime/conmon.js";
import { Runc } from "../runtime/runc.js";
import { DEFAULT_NAMESPACE } from "../wire/namespace-header.js";
import { BinaryVersions } from "./binary-versions.js";

export const VERSION = "0.1.0";

// versions is kept per engine: one daemon asks its binaries once.
const binaryVersions = new WeakMap<Engine, BinaryVersions>();

export async function versionOf(engine: Engine): Promise<VersionInfo> {
  const bin = await engine.resolveBinaries();
  let versions = binaryVersions.get(engine);
  if (versions === undefined) {
    versions = new BinaryVersions(async (b) => {
      const [runtimeVersion, monitorVersion] = await Promise.all([
        new Runc(b.runc, engine.layout.runcRoot(DEFAULT_NAMESPACE)).version(),
        conmonVersion(b.conmon),
      ]);
      return { runtimeVersion, monitorVersion };
    });
    binaryVersions.set(engine, versions);
  }
  const { runtimeVersion, monitorVersion } = await versions.get(bin);
  return { version: VERSION, runtime: bin.runc, runtimeVersion, monitorVersion, cgroupMode: detectCgroupMode() };
}

