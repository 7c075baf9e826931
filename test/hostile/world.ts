// World is what the hostile cases aim at: the daemon's namespace, a few
// fixture containers in known states, host paths of every kind (a folder, a
// file, a garbage archive, a path that does not exist), and every container
// and exec'd process the suite's own calls created, so each is deleted at the
// end and the rules know which ids name something.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const FIXTURES = ["run", "tty", "stdin", "exited", "paused", "victim", "pr", "upd"] as const;
export type FixtureName = (typeof FIXTURES)[number];

// A Ref stands for an id that only exists once the suite runs: a fixture's,
// or a fresh one no call has used.
export interface Ref {
  ref: FixtureName | "fresh";
}

export interface HostPaths {
  // dir is an existing folder with a file in it; emptyDir holds nothing.
  dir: string;
  emptyDir: string;
  // file is a regular file; garbage is a file that is no archive.
  file: string;
  garbage: string;
  missing: string;
  // escape is where a path-traversal destination would land on the host
  // if the daemon followed it; it must never appear.
  escape: string;
}

// types.proto: an exec'd process that has exited is STATUS_STOPPED.
const EXITED_STATUS = 4;

export class World {
  readonly fixtures = new Map<FixtureName, string>();
  // execs maps a container id to the exec'd process ids it has.
  readonly execs = new Map<string, Set<string>>();
  // exitedExecs holds "<id>/<process id>" of each exec'd process seen
  // exited at the last read of its container's state.
  readonly exitedExecs = new Set<string>();
  // created holds every container the suite created, by "<ns>/<id>".
  readonly created = new Map<string, { namespace: string; id: string }>();
  // status holds the last known Status of each fixture, read just before a
  // call that names it.
  readonly status = new Map<string, number>();
  readonly onlineCpus: number[];
  readonly paths: HostPaths;
  readonly baseSpec: Record<string, unknown>;
  // network is the daemon's default network (joined only by name: its
  // default is none); takenPort a TCP port on 127.0.0.1 the suite holds.
  network = "berth";
  takenPort = 0;
  private readonly root: string;

  constructor(
    readonly namespace: string,
    private readonly nextId: (name: string) => string,
    tag: string,
  ) {
    this.onlineCpus = parseCpuList(readFileSync("/sys/devices/system/cpu/online", "utf8").trim()) ?? [0];
    this.root = join(tmpdir(), `berth-hostile-host-${tag}`);
    const dir = join(this.root, "dir");
    const emptyDir = join(this.root, "empty");
    mkdirSync(dir, { recursive: true });
    mkdirSync(emptyDir, { recursive: true });
    writeFileSync(join(dir, "data"), "data\n");
    const file = join(this.root, "file");
    writeFileSync(file, "a file, not a folder\n");
    const garbage = join(this.root, "garbage.tar");
    writeFileSync(garbage, Buffer.from("this is not a tar archive, nor gzip".repeat(64)));
    this.paths = { dir, emptyDir, file, garbage, missing: join(this.root, "missing", "nothing"), escape: join(tmpdir(), `berth-hostile-escape-${tag}`) };
    // `runc spec` is the canonical valid spec; berth replaces root.path.
    const bundle = join(this.root, "bundle");
    mkdirSync(bundle, { recursive: true });
    execFileSync("runc", ["spec", "--bundle", bundle]);
    const spec = JSON.parse(readFileSync(join(bundle, "config.json"), "utf8")) as Record<string, unknown>;
    const process = spec.process as Record<string, unknown>;
    process.terminal = false;
    process.args = ["true"];
    this.baseSpec = spec;
  }

  fresh(): string {
    return this.nextId("c");
  }

  fixture(name: FixtureName): string {
    const id = this.fixtures.get(name);
    if (id === undefined) throw new Error(`fixture ${name} was not made`);
    return id;
  }

  fixtureNameOf(id: string): FixtureName | undefined {
    for (const [name, fid] of this.fixtures) if (fid === id) return name;
    return undefined;
  }

  // known tells whether id names a container of the suite's namespace.
  known(id: string, namespace = this.namespace): boolean {
    return this.created.has(`${namespace}/${id}`);
  }

  noteCreated(namespace: string, id: string): void {
    this.created.set(`${namespace}/${id}`, { namespace, id });
  }

  noteDeleted(namespace: string, id: string): void {
    this.created.delete(`${namespace}/${id}`);
  }

  noteExec(id: string, processId: string): void {
    let set = this.execs.get(id);
    if (set === undefined) this.execs.set(id, (set = new Set()));
    set.add(processId);
    this.exitedExecs.delete(`${id}/${processId}`);
  }

  hasExec(id: string, processId: string): boolean {
    return this.execs.get(id)?.has(processId) === true;
  }

  // execLive tells whether the exec'd process was alive when its container's
  // state was last read (noteState); one never read is taken as alive, as
  // it was when AddProcess answered.
  execLive(id: string, processId: string): boolean {
    return this.hasExec(id, processId) && !this.exitedExecs.has(`${id}/${processId}`);
  }

  // noteState records a container's status and which of its exec'd
  // processes have exited, from a State answer.
  noteState(id: string, container: { status: number; processes?: { id: string; status: number }[] }): void {
    this.status.set(id, container.status);
    for (const p of container.processes ?? []) {
      if (p.id === "init") continue;
      if (p.status === EXITED_STATUS) this.exitedExecs.add(`${id}/${p.id}`);
      else this.exitedExecs.delete(`${id}/${p.id}`);
    }
  }

  // resolve replaces every Ref in a request with the id it stands for.
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value instanceof Uint8Array || value === null || typeof value !== "object") return value;
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === "ref") {
      const ref = (value as Ref).ref;
      return ref === "fresh" ? this.fresh() : this.fixture(ref);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = this.resolve(v);
    return out;
  }

  removeHostPaths(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

// parseCpuList reads a kernel cpu list ("0-3,5"); undefined when it is not
// one, in the strict form the kernel prints.
export function parseCpuList(text: string): number[] | undefined {
  if (text === "") return [];
  const cpus: number[] = [];
  for (const part of text.split(",")) {
    const m = /^(\d{1,4})(?:-(\d{1,4}))?$/.exec(part);
    if (m === null) return undefined;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) return undefined;
    for (let cpu = from; cpu <= to; cpu++) cpus.push(cpu);
  }
  return cpus;
}
