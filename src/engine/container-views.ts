// The container as others see it: the API's Container message, and the
// record the state directory keeps (see container-record.ts).
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";

import { UserNamespaceSchema, UsernsMode, type UserNamespace } from "../gen/berth/v1/security_pb.js";
import { ContainerSchema, Status, type Container } from "../gen/berth/v1/types_pb.js";
import type { NetworkState } from "../network/network-state.js";
import { exitRecord, type ContainerRecord, type ProcessRecord, type UsernsRecord } from "./container-record.js";
import type { ManagedContainer } from "./managed-container.js";
import type { ManagedProcess } from "./managed-process.js";
import { restartPolicyMessage } from "./restart-manager.js";

export function containerInfo(c: ManagedContainer): Container {
  const exit = c.init.exit;
  const status = c.status();
  const nextRestartAt = status === Status.RESTARTING ? c.restarts.nextRestartAt : undefined;
  return create(ContainerSchema, {
    id: c.id,
    namespace: c.namespace,
    status,
    pid: c.init.state.is("running", "paused", "created") ? c.init.pid : 0,
    labels: { ...c.labels },
    createdAt: timestampFromDate(c.createdAt),
    exitCode: exit?.exitCode,
    exitedAt: exit ? timestampFromDate(exit.exitedAt) : undefined,
    oomKilled: exit?.oomKilled ?? false,
    bundle: c.paths.bundle,
    processes: [c.init.info(), ...c.execs.all().map((p) => p.info())],
    restartPolicy: restartPolicyMessage(c.restarts.state.policy),
    restartCount: c.restarts.state.count,
    monitorDied: exit?.monitorDied === true,
    nextRestartAt: nextRestartAt && timestampFromDate(nextRestartAt),
    revision: c.revision,
    stopSignal: c.stopSignal,
    ...networkFields(c.network),
    privileged: c.createdWith.security?.privileged === true,
    userns: usernsMessage(c.createdWith.userns),
    image: c.createdWith.image?.reference ?? "",
    imageId: c.createdWith.image?.id ?? "",
  });
}

// usernsMessage shows a container's user namespace with the mappings it
// runs with; undefined for the host's.
export function usernsMessage(r: UsernsRecord | undefined): UserNamespace | undefined {
  if (r === undefined) return undefined;
  return create(UserNamespaceSchema, {
    mode: r.mode === "auto" ? UsernsMode.AUTO : UsernsMode.MAPPINGS,
    size: r.mode === "auto" ? (r.uid[0]?.size ?? 0) : 0,
    uidMappings: r.uid.map((m) => ({ ...m })),
    gidMappings: r.gid.map((m) => ({ ...m })),
  });
}

// networkFields are Container's network_mode, networks and ports.
function networkFields(n: NetworkState | undefined): Pick<Container, "networkMode" | "networks" | "ports"> {
  const attachment = n?.attached?.phase === "added" ? n.attached.attachment : undefined;
  return {
    networkMode: n?.mode ?? "none",
    networks: attachment === undefined ? [] : [{ $typeName: "berth.v1.NetworkAttachment", ...attachment }],
    ports: attachment === undefined ? [] : (n?.attached?.ports ?? []).map((p) => ({ $typeName: "berth.v1.PortBinding", ...p })),
  };
}

export function recordOf(c: ManagedContainer): ContainerRecord {
  return {
    version: 1,
    id: c.id,
    namespace: c.namespace,
    createdAt: c.createdAt.toISOString(),
    labels: c.labels,
    rootfsMounted: c.rootfsMounted,
    init: processRecordOf(c.init),
    execs: c.execs.all().map(processRecordOf),
    sequence: c.sequence.toString(),
    phase: c.phase,
    restart: { ...c.restarts.state, policy: { ...c.restarts.state.policy } },
    revision: c.revision.toString(),
    stopSignal: c.stopSignal,
    createdWith: c.createdWith,
    ...(c.nextRunStdin !== undefined && { nextRunStdin: c.nextRunStdin }),
    ...(c.poststop.ranFor !== undefined && { poststopRanFor: c.poststop.ranFor }),
  };
}

function processRecordOf(p: ManagedProcess): ProcessRecord {
  return {
    id: p.id,
    args: [...p.args],
    terminal: p.terminal,
    stdin: p.stdin,
    pid: p.pid,
    startedAt: p.startedAt?.toISOString(),
    startTime: p.identity?.startTime,
    monitor: p.monitor,
    exit: exitRecord(p.exit),
    ...(p.state.is("created") && { created: true }),
  };
}
