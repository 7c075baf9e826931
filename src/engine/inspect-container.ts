// Inspect: everything a container was made with, as Update and
// UpdateResources have changed it since, and optionally the size of its
// writable layer (the Runtime seed's Size option).
import { create } from "@bufbuild/protobuf";
import { lstat, opendir } from "node:fs/promises";
import { join } from "node:path";

import type { InspectResult } from "../api/client-options.js";
import { SecurityOptionsSchema, type SecurityOptions } from "../gen/berth/v1/security_pb.js";
import { ContainerConfigSchema, RootfsSchema } from "../gen/berth/v1/types_pb.js";
import { hooksOf, processSpecOf, resourcesOf } from "../spec/spec-to-api.js";
import { usernsMessage } from "./container-views.js";
import type { ManagedContainer } from "./managed-container.js";
import { restartPolicyMessage } from "./restart-manager.js";

export function inspectContainer(c: ManagedContainer): InspectResult {
  const rootfs = c.createdWith.rootfs;
  const config = create(ContainerConfigSchema, {
    process: processSpecOf(c.spec.process, c.nextRunStdin ?? c.init.stdin),
    ociSpecJson: new TextEncoder().encode(JSON.stringify(c.spec)),
    rootfs: create(RootfsSchema, {
      source: rootfs?.path !== undefined ? { case: "path", value: rootfs.path } : rootfs?.imagePath !== undefined ? { case: "imagePath", value: rootfs.imagePath } : undefined,
      readOnly: rootfs?.readOnly === true,
    }),
    resources: resourcesOf(c.spec.linux?.resources),
    hostname: c.spec.hostname ?? "",
    mounts: c.createdWith.mounts ?? [],
    restartPolicy: restartPolicyMessage(c.restarts.state.policy),
    stopSignal: c.stopSignal,
    labels: { ...c.labels },
    hooks: hooksOf(c.createdWith.hooks),
    network: c.createdWith.network ?? "",
    ports: c.createdWith.ports ?? [],
    dnsServers: c.createdWith.dnsServers ?? [],
    ...(c.createdWith.security !== undefined && { security: securityOf(c) }),
    image: c.createdWith.image?.reference ?? "",
    imageId: c.createdWith.image?.id ?? "",
  });
  return { container: c.info(), config };
}

// securityOf is the SecurityOptions the container was made with; a custom
// seccomp profile is read back from the spec, where it lives.
function securityOf(c: ManagedContainer): SecurityOptions {
  const s = c.createdWith.security;
  const seccomp = c.spec.linux?.seccomp;
  return create(SecurityOptionsSchema, {
    ...s,
    seccomp: {
      unconfined: s?.seccomp === "unconfined",
      ...(s?.seccomp === "profile" && seccomp !== undefined && { profileJson: new TextEncoder().encode(JSON.stringify(seccomp)) }),
    },
    userns: usernsMessage(c.createdWith.userns),
  });
}

// layerSize is the size of the container's writable layer, if it has one.
export async function layerSize(c: ManagedContainer): Promise<bigint | undefined> {
  return c.rootfsMounted ? treeSize(c.paths.upper) : undefined;
}

// treeSize adds up the sizes of the files under dir, counting a file with
// several links once, as du does; what vanishes during the walk is skipped.
// Written by hand: it is a dozen lines, and no maintained package does it
// without spawning du.
async function treeSize(dir: string): Promise<bigint> {
  const seen = new Set<string>();
  let total = 0n;
  const walk = async (path: string): Promise<void> => {
    const entries = await opendir(path).catch(() => undefined);
    if (entries === undefined) return;
    for await (const entry of entries) {
      const child = join(path, entry.name);
      const info = await lstat(child, { bigint: true }).catch(() => undefined);
      if (info === undefined) continue;
      if (info.isDirectory()) {
        await walk(child);
        continue;
      }
      const key = `${info.dev}:${info.ino}`;
      if (info.nlink > 1n && seen.has(key)) continue;
      seen.add(key);
      total += info.size;
    }
  };
  await walk(dir);
  return total;
}
