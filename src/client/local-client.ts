// LocalClient is the Client that drives the engine in this process, for one
// namespace. Each operation on a container runs under that container's
// serial queue; reads that cannot race (State, Stats) do not wait in it.
import { BackendDispatcher } from "../backend/backend-dispatcher.js";
import type { Backend } from "../backend/backend.js";
import { invalidArgument, notFound } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import { normalizeProcessId, requireProcessId, validateId, validateNamespace, INIT_PROCESS_ID } from "../errors/validate.js";
import type { Engine } from "../engine/engine.js";
import { readLogs } from "../engine/log-reader.js";
import { exitStatusOf, waitResult } from "../engine/managed-process.js";
import { summarizeProcesses } from "../engine/process-summary.js";
import { restoreContainer } from "../engine/restore.js";
import { parseSignal } from "../engine/signals.js";
import { closeStdin, logPathOf, monitorDir, processOf, resizeTerminal } from "../engine/terminal-control.js";
import { attachProcess } from "../io/attach-process.js";
import { withAttachStreams } from "../io/attach-streams.js";
import { checkCreateRequest } from "../spec/check-create.js";
import { checkListFilter, checkLogOptions, checkSignalText, checkSubscribeOptions, checkTerminalSize, checkWaitCondition } from "../spec/check-requests.js";
import { checkCpusOnline } from "../spec/host-checks.js";
import { checkProcessOptions } from "../spec/process-spec.js";
import { checkResourceUpdate } from "../spec/resources.js";
import type {
  AttachOptions,
  AttachOutput,
  Client,
  CreateOptions,
  ListFilter,
  LogLine,
  LogOptions,
  ProcessOptions,
  ResourceOptions,
  SignalLike,
  SubscribeOptions,
  WaitOptions,
} from "./client.js";
import { WaitCondition, type Container, type Event, type ExitStatus, type ProcessInfo, type ProcessSummary, type Stats } from "./types.js";

export class LocalClient implements Client {
  private dispatcher: BackendDispatcher | undefined;
  // closing ends the attaches opened for the backend's attachStreams.
  private readonly closing = new AbortController();

  constructor(
    private readonly engine: Engine,
    readonly namespace: string,
    backend?: Backend,
  ) {
    validateNamespace(namespace);
    if (backend !== undefined) {
      // Delivery starts from the bus's current end: the backend hears every
      // event from the moment the client exists, and resumes itself if it
      // falls behind.
      const from = engine.bus.lastSequence();
      this.dispatcher = new BackendDispatcher(withAttachStreams(backend, this, this.closing.signal), ({ sinceSequence, signal }) =>
        engine.bus.subscribe({ namespace, sinceSequence: sinceSequence ?? from, signal }),
      );
    }
  }

  // get looks a container up. Every method checks all of its request
  // first (id included, with validateId), so that an invalid request is
  // INVALID_ARGUMENT whatever state the daemon is in.
  private get(id: string) {
    return this.engine.get(this.namespace, id);
  }

  async create(id: string, options: CreateOptions = {}): Promise<Container> {
    validateId(id);
    await checkCreateRequest(options);
    return this.engine.create(this.namespace, id, options);
  }

  async signal(id: string, signal: SignalLike, options: { all?: boolean } = {}): Promise<void> {
    validateId(id);
    checkSignalText(signal);
    const sig = parseSignal(signal);
    const c = await this.get(id);
    await c.queue.run(() => c.signal(sig, options.all === true));
  }

  // signalProcess signals the named process: an exec'd one, or "init" for
  // the container's first (as Signal without all does).
  async signalProcess(id: string, processId: string, signal: SignalLike): Promise<void> {
    validateId(id);
    const pid = requireProcessId(processId, `name an exec'd process, or "init" for the container's first process`);
    checkSignalText(signal);
    const sig = parseSignal(signal);
    const c = await this.get(id);
    await c.queue.run(async () => (pid === INIT_PROCESS_ID ? c.signal(sig, false) : c.execs.signal(pid, sig)));
  }

  async addProcess(id: string, processId: string, process: ProcessOptions): Promise<ProcessInfo> {
    validateId(id);
    const pid = requireProcessId(processId, 'name the new process, e.g. "worker-1"');
    if (pid === INIT_PROCESS_ID) throw invalidArgument(`process_id "init" names the container's first process: pick another id for an exec`);
    checkProcessOptions({ ...process, args: process.args ?? [] });
    const c = await this.get(id);
    return c.queue.run(async () => (await c.execs.start(pid, { ...process, args: process.args ?? [] })).info());
  }

  async resize(id: string, processId: string, width: number, height: number): Promise<void> {
    validateId(id);
    const pid = normalizeProcessId(processId);
    checkTerminalSize(width, height);
    const c = await this.get(id);
    await resizeTerminal(c, pid, width, height);
  }

  async closeStdin(id: string, processId: string): Promise<void> {
    validateId(id);
    const pid = normalizeProcessId(processId);
    const c = await this.get(id);
    await closeStdin(c, pid);
  }

  async pause(id: string): Promise<void> {
    validateId(id);
    const c = await this.get(id);
    await c.queue.run(() => c.pause());
  }

  async resume(id: string): Promise<void> {
    validateId(id);
    const c = await this.get(id);
    await c.queue.run(() => c.resume());
  }

  // restore reconciles one container with the runtime: a known one whose
  // exit was missed gets it now; one only on disk is adopted.
  async restore(id: string): Promise<Container> {
    validateId(id);
    const ns = await this.engine.namespace(this.namespace);
    const known = ns.containers.get(id);
    if (known !== undefined) {
      return known.queue.run(async () => {
        await known.reconcile();
        return known.info();
      });
    }
    const adopted = await restoreContainer(this.engine, ns, id);
    if (adopted === undefined) throw notFound(`container ${quote(id)} not found in namespace ${quote(this.namespace)} nor in the state directory`);
    return adopted.info();
  }

  async stats(id: string): Promise<Stats> {
    validateId(id);
    return (await this.get(id)).stats();
  }

  async getPidsForContainer(id: string): Promise<number[]> {
    validateId(id);
    return (await this.get(id)).listPids();
  }

  async summary(id: string): Promise<ProcessSummary[]> {
    validateId(id);
    const c = await this.get(id);
    const pids = c.listPids();
    const byPid = new Map<number, string>();
    if (c.init.state.is("running", "paused")) byPid.set(c.init.pid, INIT_PROCESS_ID);
    for (const p of c.execs.all()) if (p.state.is("running", "paused")) byPid.set(p.pid, p.id);
    return summarizeProcesses(pids, (pid) => byPid.get(pid) ?? "");
  }

  async updateResources(id: string, resources: ResourceOptions): Promise<void> {
    validateId(id);
    const checked = checkResourceUpdate(resources);
    if (checked.cpus !== undefined) await checkCpusOnline("cpuset_cpus", checked.cpus);
    const c = await this.get(id);
    await c.queue.run(() => c.updateResources(checked));
  }

  async delete(id: string, options: { force?: boolean } = {}): Promise<ExitStatus> {
    validateId(id);
    return this.engine.delete(this.namespace, id, options.force === true);
  }

  async wait(id: string, options: WaitOptions = {}): Promise<ExitStatus> {
    validateId(id);
    checkWaitCondition(options.condition);
    const processId = normalizeProcessId(options.processId);
    const c = await this.get(id);
    const p = processId === INIT_PROCESS_ID ? c.init : c.execs.get(processId);
    switch (options.condition ?? WaitCondition.NOT_RUNNING) {
      case WaitCondition.NEXT_EXIT:
        return waitResult(id, processId, await p.nextExit(options.signal));
      case WaitCondition.REMOVED:
        await c.waitRemoved(options.signal);
        return exitStatusOf(p.exit ?? { exitCode: 255, exitedAt: new Date(), oomKilled: false });
      default:
        return waitResult(id, processId, await p.exited(options.signal));
    }
  }

  async state(id: string): Promise<Container> {
    validateId(id);
    return (await this.get(id)).info();
  }

  async list(filter?: ListFilter): Promise<Container[]> {
    checkListFilter(filter);
    return this.engine.list(this.namespace, filter);
  }

  async *logs(id: string, options: LogOptions = {}): AsyncIterable<LogLine> {
    validateId(id);
    checkLogOptions(options);
    const processId = normalizeProcessId(options.processId);
    const c = await this.get(id);
    const p = processId === INIT_PROCESS_ID ? c.init : c.execs.get(processId);
    const path = logPathOf(c, processId);
    yield* readLogs({ path, exited: p.exited(options.signal).catch(() => {}), isRunning: () => p.state.is("running", "paused", "created") }, options);
  }

  async *attach(id: string, options: AttachOptions = {}): AsyncIterable<AttachOutput> {
    validateId(id);
    const processId = normalizeProcessId(options.processId);
    const c = await this.get(id);
    yield* attachProcess(
      {
        process: processOf(c, processId),
        monitorDir: monitorDir(c, processId),
        logPath: logPathOf(c, processId),
        resize: (width, height) => resizeTerminal(c, processId, width, height),
      },
      options,
    );
  }

  subscribe(options: SubscribeOptions = {}): AsyncIterable<Event> {
    checkSubscribeOptions(options);
    return this.engine.bus.subscribe({
      namespace: options.allNamespaces ? undefined : this.namespace,
      containerIds: options.containerIds,
      types: options.types,
      sinceSequence: options.sinceSequence,
      since: options.since,
      until: options.until,
      signal: options.signal,
    });
  }

  async close(): Promise<void> {
    this.closing.abort();
    await this.dispatcher?.close();
  }
}
