// Where a daemon keeps things, all under one state directory, so a daemon
// started again finds everything and two daemons with different state
// directories never touch each other's files.
import { join } from "node:path";

export class StateLayout {
  constructor(readonly root: string) {}

  // runcRoot is runc's --root for a namespace: one per namespace, so two
  // namespaces may use the same container id.
  runcRoot(ns: string): string {
    return join(this.root, "runc", ns);
  }

  // exitDir is where conmon writes init exit codes, one file per container
  // id; one watcher per namespace sees every container's exit.
  exitDir(ns: string): string {
    return join(this.root, "exits", ns);
  }

  namespaceDir(ns: string): string {
    return join(this.root, "containers", ns);
  }

  containerDir(ns: string, id: string): string {
    return join(this.root, "containers", ns, id);
  }

  eventsDir(): string {
    return join(this.root, "events");
  }
}

// ContainerPaths are the files of one container.
export class ContainerPaths {
  constructor(readonly dir: string) {}
  // upper is the container's writable layer (see prepareContainerRootfs).
  get upper(): string {
    return join(this.dir, "upper");
  }
  get bundle(): string {
    return join(this.dir, "bundle");
  }
  get config(): string {
    return join(this.dir, "bundle", "config.json");
  }
  get record(): string {
    return join(this.dir, "record.json");
  }
  get persist(): string {
    return join(this.dir, "persist");
  }
  get pidFile(): string {
    return join(this.dir, "init.pid");
  }
  // conmonPidFile holds the pid of the init process's monitor.
  get conmonPidFile(): string {
    return join(this.dir, "conmon.pid");
  }
  get log(): string {
    return join(this.dir, "init.log");
  }
  execDir(execId: string): string {
    return join(this.dir, "exec", execId);
  }
}

// ExecPaths are the files of one exec'd process; its folder is also its
// conmon "bundle" (fifos and attach socket), apart from the container's.
export class ExecPaths {
  constructor(readonly dir: string) {}
  get spec(): string {
    return join(this.dir, "process.json");
  }
  get pidFile(): string {
    return join(this.dir, "pid");
  }
  get conmonPidFile(): string {
    return join(this.dir, "conmon.pid");
  }
  get exitDir(): string {
    return join(this.dir, "exit");
  }
  get persist(): string {
    return join(this.dir, "persist");
  }
  get log(): string {
    return join(this.dir, "log");
  }
}
