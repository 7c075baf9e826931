// daemonInfo answers Info for a daemon running here: the host's facts
// beside the daemon's own (its id, containers, images, binaries).
import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";

import type { Engine } from "../engine/engine.js";
import { InfoResponseSchema, type InfoResponse } from "../gen/berth/v1/system_pb.js";
import { Status, type Container } from "../gen/berth/v1/types_pb.js";
import { readHostInfo } from "../host/host-info.js";

export interface DaemonIdentity {
  // id is the state directory's (loadDaemonId).
  id: string;
  version: string;
}

export async function daemonInfo(engine: Engine, daemon: DaemonIdentity): Promise<InfoResponse> {
  const [host, containers, images, bin] = await Promise.all([
    readHostInfo(),
    engine.listAll(),
    engine.images.store().then((s) => Object.values(s.records().images).filter((i) => i.removed !== true).length),
    engine.resolveBinaries(),
  ]);
  return create(InfoResponseSchema, {
    id: daemon.id,
    ...countContainers(containers),
    images,
    // Every container's root filesystem is an overlay mount (rootfs/overlay.ts),
    // whether its lower layer is busybox or an unpacked image.
    driver: "overlay",
    systemTime: timestampNow(),
    ...host,
    warnings: [...host.warnings, ...engine.networks.warnings],
    serverVersion: daemon.version,
    runtime: bin.runc,
  });
}

export interface ContainerCounts {
  containers: number;
  containersRunning: number;
  containersPaused: number;
  containersStopped: number;
}

// countContainers counts as Docker's info does: a container that is not
// running or paused is stopped, be it created, stopped or waiting to restart,
// so the three always add up to the total.
export function countContainers(containers: readonly Container[]): ContainerCounts {
  const counts = { containers: containers.length, containersRunning: 0, containersPaused: 0, containersStopped: 0 };
  for (const c of containers) {
    if (c.status === Status.RUNNING) counts.containersRunning++;
    else if (c.status === Status.PAUSED) counts.containersPaused++;
    else counts.containersStopped++;
  }
  return counts;
}
