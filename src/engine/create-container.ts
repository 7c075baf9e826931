// createContainer is libcontainerd's Create: it prepares the root filesystem
// and spec, starts the container's monitor (conmon runs `runc create`), then
// starts the init process. A failure at any step undoes the steps before it,
// so a failed Create leaves no mount, cgroup, monitor or folder behind.
//
// A crash at any step leaves either a working container or none: the record
// is saved with phase "creating" before the monitor starts, and restore
// undoes any container whose start-container event was never published
// (publishing delete if create was). Once start-container is published the
// container exists, even if the caller never heard back, and nothing after
// that fails the Create: the event stream never announces a start the
// caller is then told did not happen.
import { mkdir, rm } from "node:fs/promises";

import type { CreateOptions } from "../api/client-options.js";
import { invalidArgument } from "../errors/berth-error.js";
import { INIT_PROCESS_ID } from "../errors/validate.js";
import { quote } from "../errors/quote.js";
import { failpoint } from "../faults/failpoint.js";
import { EventType, PullPolicy, type Container } from "../gen/berth/v1/types_pb.js";
import { prepareContainerRootfs, releaseContainerRootfs, type LowerList } from "../rootfs/overlay.js";
import { pathExists } from "../rootfs/path-exists.js";
import { buildDefaultSpec } from "../spec/default-spec.js";
import { mergeHooks, runcHooks, type HookSet } from "../spec/hook-spec.js";
import { applyNetworkToSpec } from "../spec/network-spec.js";
import { DEFAULT_HOSTNAME } from "../spec/spec-defaults.js";
import type { OciSpec } from "../spec/oci-spec.js";
import { applySpecOverrides } from "../spec/user-spec.js";
import type { Span } from "../trace/span.js";
import { resolveUser } from "../spec/container-user.js";
import { resolveDevices } from "../spec/host-devices.js";
import { checkSecurityOptions, type CheckedSecurity } from "../spec/security-options.js";
import { writeFileAtomic } from "./atomic-file.js";
import { connectAndLaunch } from "./container-network.js";
import { NO_EXIT, removeContainer } from "./discard-container.js";
import type { Engine, Namespace } from "./engine.js";
import { superviseInit } from "./init-exit.js";
import { launchInit, startInit, stopRun } from "./launch-init.js";
import { holderOf, type CreateImage } from "./image-ops.js";
import { applyImageConfig } from "./image-process.js";
import { ManagedContainer } from "./managed-container.js";
import type { UsernsRecord } from "./container-record.js";
import { createdWith } from "./created-with.js";
import { fitSpecToUserns, prepareUsernsRoot } from "./userns-setup.js";
import { ManagedProcess } from "./managed-process.js";
import { stopSignalName } from "./signals.js";
import { RestartManager, restartPolicyOf } from "./restart-manager.js";
import { PUBLISHED_SAVE_WAIT_MS, savePublished } from "./save-published.js";

// createContainer returns the container and its state as of its start: a
// process that exits at once is still reported with the pid it ran as.
// span times its steps for the phase trace.
export async function createContainer(engine: Engine, ns: Namespace, id: string, options: CreateOptions, span: Span): Promise<{ container: ManagedContainer; started: Container }> {
  const policy = restartPolicyOf(options.restartPolicy);
  const dir = engine.layout.containerDir(ns.ctx.namespace, id);
  const holder = holderOf(ns.ctx.namespace, id);
  const root = await rootOf(engine, ns.ctx.namespace, holder, options);
  span.step("image lookup");
  const readOnly = options.rootfs?.readOnly === true;
  const hostname = hostnameOf(options, id);
  // Checked before anything is made: a bad port or an unknown network
  // leaves nothing behind.
  const security = checkSecurityOptions(options.security);
  const network = engine.networks.plan({ network: options.network, ports: options.ports, dnsServers: options.dnsServers }, hostname, { namespace: ns.ctx.namespace, containerId: id }, security.userns.mode !== "host");
  span.step("network plan");
  // Restore clears what a crashed Create left; this is the last guard, and
  // never removes a folder through a mount still on it. No folder (the
  // usual case) has nothing mounted in it: no mount table to read.
  if (await pathExists(dir)) {
    await releaseContainerRootfs(dir);
    await rm(dir, { recursive: true, force: true });
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  span.step("state folder");
  const cgroupsPath = `${engine.options.cgroupParent ?? "/berth"}/${ns.ctx.namespace}/${id}`;
  let c: ManagedContainer | undefined;
  // announced is set once the create event is out: undoing then owes a delete.
  let announced = false;
  // launched is set once runc create may have run hooks.
  let launched = false;
  let userns: UsernsRecord | undefined;
  // The network's namespace and files are made while the root and the spec
  // are (they share nothing but the folder); awaited where the spec takes
  // them, and settled before any undo.
  const networkReady = engine.networks.prepare(dir, network);
  networkReady.catch(() => {});
  try {
    userns = await engine.userns.acquire(ns.ctx.namespace, id, security.userns);
    const rootfsPath = await prepareContainerRootfs({ lowerDir: root.lower, containerDir: dir, metacopy: userns !== undefined });
    failpoint("create:after-mount");
    span.step("overlay mount");
    const rootPath = userns === undefined ? rootfsPath : await prepareUsernsRoot(dir, rootfsPath, userns);
    if (userns !== undefined) span.step("userns shift");
    if (root.image?.config !== undefined && !(options.ociSpecJson !== undefined && options.ociSpecJson.length > 0)) {
      options = await applyImageConfig(options, security, root.image.config, rootfsPath, root.image.reference);
    }
    const spec = await buildSpec(options, security, { hostname, rootfsPath, readOnly, cgroupsPath });
    spec.root.path = rootPath;
    const hooks = mergeHooks(spec.hooks, options.hooks);
    setRuncHooks(spec, hooks);
    span.step("spec build");
    applyNetworkToSpec(spec, await networkReady);
    span.step("network prepare");
    if (userns !== undefined) await fitSpecToUserns(spec, dir, userns);
    const args = spec.process?.args ?? [];
    const init = new ManagedProcess(INIT_PROCESS_ID, args, spec.process?.terminal === true, "container");
    init.stdin = options.process?.stdin === true;
    c = new ManagedContainer(ns.ctx, id, dir, init, spec, { ...(options.labels ?? {}) }, new Date(), true, "creating");
    c.restarts = RestartManager.initial(policy);
    c.stopSignal = stopSignalName(options.stopSignal);
    c.createdWith = createdWith(options, hooks, security, root.image, userns);
    if (network.mode !== "none" || network.etcDir !== undefined) c.network = network;
    // Events about this id from before (an earlier container of that name)
    // are not this container's.
    c.sequence = engine.bus.lastSequence();
    // Atomic, as the record is: a crash mid-write must not leave an empty
    // config.json that no later daemon can read. The record ("creating")
    // is written beside it: a crash with either one alone is undone by
    // restore as any Create cut short is, since nothing ran yet.
    await Promise.all([
      mkdir(c.paths.persist, { recursive: true }),
      writeFileAtomic(c.paths.config, JSON.stringify(spec)).then(() => failpoint("create:after-config")),
      c.record.save(),
    ]);
    failpoint("create:after-record");
    span.step("spec and record write");
    if (options.start === false) {
      // Prepared, not started: the create event says it exists, and the
      // record (saved before the caller hears of it, or the Create is
      // undone) says it was never started.
      c.emit(EventType.CREATE, { processId: INIT_PROCESS_ID, pid: 0 });
      announced = true;
      await ns.ctx.durable();
      c.markLive();
      await c.record.save();
      failpoint("create:after-created-save");
      c.markStartPublished();
      return { container: c, started: c.info() };
    }
    c.runBeganAtMs = Date.now();
    // Its address before its process runs (containerd's order: netns, CNI
    // ADD, then the task), the ADD beside runc create where that is safe.
    const container = c;
    init.prepare(
      await connectAndLaunch(c, () => {
        launched = true;
        return launchInit(container, span);
      }),
    );
    failpoint("create:after-network");
    // With the ADD beside runc create, this is what the ADD took beyond it.
    span.step("network connect");
    failpoint("create:after-runc-create");
    c.emit(EventType.CREATE, { processId: INIT_PROCESS_ID, pid: init.pid });
    announced = true;
    failpoint("create:after-create-event");
    span.step("create event");
    // A start-container, once published, cannot be taken back: the journal
    // delivers it as soon as it can write it. So the journal must prove it
    // can write before the process runs: one that cannot (a full disk)
    // fails the Create here, while undoing it (create, then delete) is
    // still true to the events.
    await ns.ctx.durable();
    span.step("journal flush");
    // Registered before start, so an init that exits at once is not missed:
    // the exit watcher finds the container by id.
    ns.containers.set(id, c);
    await startInit(c, { pid: init.pid, identity: init.identity }, span);
    failpoint("create:after-runc-start");
    init.start();
    c.markLive();
    c.emit(EventType.START_CONTAINER, { processId: INIT_PROCESS_ID, pid: init.pid });
    span.step("start event");
  } catch (err) {
    ns.containers.delete(id);
    if (c !== undefined) {
      c.markRemoved();
      c.markStartPublished();
      if (launched) {
        // After the run is gone, while the bundle is still there.
        await stopRun(ns.ctx.runc, id, c.paths, ns.ctx.exitDir).catch(engine.reportError);
        await c.poststop.afterFailedRun(false);
      }
      await undoCreate(engine, ns, c, announced);
    } else {
      await networkReady.catch(() => {});
      await engine.networks.release(dir).catch(engine.reportError);
      await releaseContainerRootfs(dir).catch(engine.reportError);
      await rm(dir, { recursive: true, force: true }).catch(engine.reportError);
      if (root.image !== undefined) await engine.images.release(holder).catch(engine.reportError);
      await engine.userns.release(ns.ctx.namespace, id).catch(engine.reportError);
    }
    throw err;
  }
  // The container exists from here on, whatever fails next.
  failpoint("create:after-start-event");
  const info = c.info();
  c.markStartPublished();
  superviseInit(c);
  // A crash before the record is saved leaves restore to learn the truth
  // from the journal: the start event on disk makes it adopt the
  // container; one that never got there was never delivered, and the
  // container is undone.
  await savePublished(c, "it runs", PUBLISHED_SAVE_WAIT_MS);
  failpoint("create:after-save");
  span.step("record write (started)");
  return { container: c, started: info };
}

// undoCreate removes what a failed Create made. The delete a published
// create is owed goes out before the record is removed, and the record goes
// only once that delete is durable, as in any Delete: a crash in between
// leaves restore to finish. A journal that cannot write (a full disk)
// keeps the delete queued; the folder, by then only its record, goes once
// the journal has written it (see discardContainer).
async function undoCreate(engine: Engine, ns: Namespace, c: ManagedContainer, announced: boolean): Promise<void> {
  await removeContainer(ns, c, announced ? NO_EXIT : undefined).catch(engine.reportError);
}

interface Root {
  lower: string | LowerList;
  image?: CreateImage;
}

// rootOf finds the container's lower layers: a folder, or an image's layer
// folders (the built-in busybox when nothing is named), leased to holder.
async function rootOf(engine: Engine, namespace: string, holder: string, options: CreateOptions): Promise<Root> {
  const source = options.rootfs?.source;
  const reference = options.image ?? "";
  if (reference !== "" && source !== undefined) throw invalidArgument("give either image or rootfs.path/rootfs.image_path, not both");
  if (source?.case === "path") {
    if (!source.value.startsWith("/")) throw invalidArgument(`rootfs.path ${quote(source.value)} must be an absolute path on the daemon's host`);
    return { lower: source.value };
  }
  if (source?.case === "imagePath" && !source.value.startsWith("/")) {
    throw invalidArgument(`rootfs.image_path ${quote(source.value)} must be an absolute path on the daemon's host`);
  }
  const image = await engine.images.forCreate(namespace, holder, reference, options.pullPolicy ?? PullPolicy.UNSPECIFIED, source?.case === "imagePath" ? source.value : undefined);
  if (image === undefined) throw invalidArgument("no root filesystem");
  return { lower: (await engine.images.store()).lowerDirs(image.image), image };
}

interface SpecPlacement {
  hostname: string;
  rootfsPath: string;
  readOnly: boolean;
  cgroupsPath: string;
}

// buildSpec makes the container's spec, once its root filesystem is in
// place: a user named by name is looked up in it.
async function buildSpec(options: CreateOptions, security: CheckedSecurity, p: SpecPlacement): Promise<OciSpec> {
  const json = options.ociSpecJson;
  if (json !== undefined && json.length > 0) {
    return applySpecOverrides(json, { rootfsPath: p.rootfsPath, readonlyRootfs: p.readOnly, cgroupsPath: p.cgroupsPath });
  }
  const process = options.process;
  const devices = await resolveDevices(security.devices, security.privileged);
  const user = security.user === undefined ? undefined : await resolveUser(p.rootfsPath, security.user);
  return buildDefaultSpec({
    process: { ...process, args: process?.args ?? [] },
    rootfsPath: p.rootfsPath,
    readonlyRootfs: p.readOnly,
    hostname: p.hostname,
    mounts: options.mounts,
    resources: options.resources,
    cgroupsPath: p.cgroupsPath,
    labels: options.labels,
    security: { checked: security, devices, ...(user !== undefined && { user }) },
  });
}

// setRuncHooks gives runc every hook but poststop, which berth runs itself
// (see poststop-hooks.ts): runc would run those only at `runc delete`.
function setRuncHooks(spec: OciSpec, hooks: HookSet): void {
  const forRunc = runcHooks(hooks);
  if (forRunc === undefined) delete spec.hooks;
  else spec.hooks = forRunc;
}

// hostnameOf is the container's host name: the one asked for, or its id
// made into one.
function hostnameOf(options: CreateOptions, id: string): string {
  return options.hostname || id.slice(0, 63).replace(/[^a-zA-Z0-9-]/g, "-").replace(/^-+|-+$/g, "") || DEFAULT_HOSTNAME;
}
