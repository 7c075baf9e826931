// createdWith is what a container's record keeps of its Create request
// beyond the spec (container-record.ts), for Inspect and for restore.
import type { CreateOptions } from "../api/client-options.js";
import { hasHooks, type HookSet } from "../spec/hook-spec.js";
import type { CheckedSecurity } from "../spec/security-options.js";
import type { CreatedWith, UsernsRecord } from "./container-record.js";
import type { CreateImage } from "./image-ops.js";

// createdWith keeps what Inspect reports of the request beyond the spec.
export function createdWith(options: CreateOptions, hooks: HookSet, security: CheckedSecurity, image: CreateImage | undefined, userns: UsernsRecord | undefined): CreatedWith {
  const source = options.rootfs?.source;
  const s = options.security;
  return {
    ...(hasHooks(hooks) && { hooks }),
    ...(s !== undefined && {
      security: {
        seccomp: security.seccomp.kind,
        capAdd: [...(s.capAdd ?? [])],
        capDrop: [...(s.capDrop ?? [])],
        privileged: security.privileged,
        devices: (s.devices ?? []).map((d) => ({ hostPath: d.hostPath ?? "", containerPath: d.containerPath ?? "", permissions: d.permissions ?? "" })),
        tmpfs: (s.tmpfs ?? []).map((t) => ({ destination: t.destination ?? "", options: [...(t.options ?? [])] })),
        user: s.user ?? "",
      },
    }),
    rootfs: {
      ...(source?.case === "path" && { path: source.value }),
      ...(source?.case === "imagePath" && { imagePath: source.value }),
      readOnly: options.rootfs?.readOnly === true,
    },
    mounts: (options.mounts ?? []).map((m) => ({ source: m.source ?? "", destination: m.destination ?? "", readOnly: m.readOnly === true })),
    ...(options.network !== undefined && options.network !== "" && { network: options.network }),
    ...((options.ports ?? []).length > 0 && { ports: (options.ports ?? []).map((p) => ({ hostIp: p.hostIp ?? "", hostPort: p.hostPort ?? 0, containerPort: p.containerPort ?? 0, protocol: p.protocol || "tcp" })) }),
    ...((options.dnsServers ?? []).length > 0 && { dnsServers: [...(options.dnsServers ?? [])] }),
    ...(image !== undefined && { image: { reference: image.reference, id: image.image.config, manifest: image.image.manifest } }),
    ...(userns !== undefined && { userns }),
  };
}
