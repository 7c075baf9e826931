// @ts-check
// The one root filesystem all three systems run, and the OCI spec they all
// get. Both come from berth's own code (dist/, built by `npm run build`), so
// runc and containerd run exactly the busybox tree and the default spec that
// berth would.
import { Unavailable } from "../systems/system.js";

/**
 * @typedef {object} OciSpec
 * @property {{ path: string, readonly?: boolean }} root
 * @property {{ args: string[], env?: string[], cwd: string } & Record<string, unknown>} process
 * @property {{ cgroupsPath?: string } & Record<string, unknown>} [linux]
 */

/**
 * @typedef {object} SpecOptions
 * @property {string[]} args
 * @property {string} rootfsPath
 * @property {string} cgroupsPath
 */

/**
 * @typedef {object} BerthCode
 * @property {(stateDir: string) => Promise<string>} ensureBusyboxRootfs
 * @property {(options: SpecOptions) => OciSpec} buildSpec
 */

/**
 * loadBerthCode imports the rootfs builder and the spec builder from dist/.
 * @returns {Promise<BerthCode>}
 */
export async function loadBerthCode() {
  try {
    const rootfs = await import("../../dist/rootfs/busybox-rootfs.js");
    const spec = await import("../../dist/spec/default-spec.js");
    return {
      ensureBusyboxRootfs: rootfs.ensureBusyboxRootfs,
      buildSpec: (options) =>
        /** @type {OciSpec} */ (
          /** @type {unknown} */ (
            spec.buildDefaultSpec({ process: { args: options.args }, rootfsPath: options.rootfsPath, cgroupsPath: options.cgroupsPath })
          )
        ),
    };
  } catch (err) {
    throw new Unavailable(
      `cannot load berth's rootfs and spec builders from dist/ (${/** @type {Error} */ (err).message}): run \`npm run build\` first (npm run bench does)`,
    );
  }
}

/** The commands of the two workloads. */
export const WORKLOADS = {
  exit3: ["sh", "-c", "exit 3"],
  sleep: ["sleep", "3600"],
  exec: ["sh", "-c", ":"],
};
