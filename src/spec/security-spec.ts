// applySecurity lays a container's SecurityOptions over the spec berth
// built: capabilities, the seccomp filter (made for the final capability
// set, as Docker and containerd make theirs from the bounding set), host
// devices, and what privileged takes away.
import { heldCapabilities, tweakCapabilities } from "./capabilities.js";
import type { ResolvedDevices } from "./host-devices.js";
import type { OciSpec, OciUser } from "./oci-spec.js";
import { defaultSeccompProfile, type SeccompHost, THIS_HOST } from "./seccomp-profile.js";
import type { CheckedSecurity } from "./security-options.js";
import { DEFAULT_CAPABILITIES } from "./spec-defaults.js";

// SecurityInput is what applySecurity needs: the checked options and what
// was resolved of them on the host and in the root filesystem.
export interface SecurityInput {
  checked: CheckedSecurity;
  devices?: ResolvedDevices;
  // user is the resolved SecurityOptions.user.
  user?: OciUser;
  host?: SeccompHost;
}

export function applySecurity(spec: OciSpec, input: SecurityInput): void {
  const { checked } = input;
  const linux = (spec.linux ??= {});
  const caps = checked.privileged ? [...heldCapabilities()] : tweakCapabilities(DEFAULT_CAPABILITIES, checked.capAdd, checked.capDrop);
  spec.process.capabilities = { bounding: [...caps], effective: [...caps], permitted: [...caps] };
  if (input.user !== undefined) spec.process.user = { ...input.user };

  const devices = input.devices ?? { devices: [], rules: [] };
  if (devices.devices.length > 0) linux.devices = devices.devices;
  if (devices.rules.length > 0) (linux.resources ??= {}).devices = [...(linux.resources?.devices ?? []), ...devices.rules];

  if (checked.privileged) {
    // Docker's privileged: no masked or read-only /proc paths, a writable
    // sysfs and cgroup mount, and no seccomp filter.
    delete linux.maskedPaths;
    delete linux.readonlyPaths;
    for (const mount of spec.mounts ?? []) {
      if (mount.type === "sysfs" || mount.type === "cgroup") mount.options = (mount.options ?? []).filter((o) => o !== "ro").concat("rw");
    }
    return;
  }
  switch (checked.seccomp.kind) {
    case "default":
      linux.seccomp = defaultSeccompProfile(caps, input.host ?? THIS_HOST);
      return;
    case "profile":
      linux.seccomp = structuredClone(checked.seccomp.profile);
      return;
    case "unconfined":
      return;
  }
}
