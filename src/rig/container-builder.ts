// ContainerBuilder is testcontainers-node's GenericContainer for berth: a
// fluent description of a container, then start(client), which creates it
// labelled with the run (after reaping what crashed runs left), copies
// files in before its first process runs (Create with start false, CopyTo,
// Start), starts it and waits until it is ready. A container that fails to
// become ready is deleted, and the error says what was waited for, what
// was last seen and the container's last log lines.
import { randomBytes } from "node:crypto";

import type { Client, CreateOptions, ResourceOptions } from "../client/client.js";
import { BerthError, invalidArgument } from "../errors/berth-error.js";
import { PullPolicy } from "../gen/berth/v1/types_pb.js";
import { copyContents, copyFiles, type ContentToCopy, type FileToCopy } from "./container-copies.js";
import { execInContainer } from "./exec-in-container.js";
import { currentRun, type RigRun } from "./rig-run.js";
import { HOST, StartedContainer } from "./started-container.js";
import { Wait } from "./wait/wait.js";
import type { WaitStrategy, WaitTarget } from "./wait/wait-strategy.js";

export const DEFAULT_STARTUP_TIMEOUT_MS = 60_000;
// BUSYBOX is the image of berth's built-in root filesystem.
export const BUSYBOX = "berth.local/busybox:latest";
const LOG_LINES_ON_FAILURE = 20;

// ExposedPort is a container port, TCP unless it says udp.
export type ExposedPort = number | { port: number; protocol: "tcp" | "udp" };

export interface StartOptions {
  // run labels the container; this process's run by default.
  run?: RigRun;
}

export class ContainerBuilder {
  #name: string | undefined;
  #entrypoint: string[] = [];
  #command: string[] = [];
  #env: Record<string, string> = {};
  #labels: Record<string, string> = {};
  #ports: Array<{ port: number; protocol: "tcp" | "udp" }> = [];
  #network: string | undefined;
  #resources: ResourceOptions | undefined;
  #user: string | undefined;
  #workingDir: string | undefined;
  #rootfs: CreateOptions["rootfs"];
  #files: FileToCopy[] = [];
  #contents: ContentToCopy[] = [];
  #wait: WaitStrategy | undefined;
  #startupTimeoutMs = DEFAULT_STARTUP_TIMEOUT_MS;

  #pullPolicy: PullPolicy | undefined;

  // image names the container's image by reference ("busybox",
  // "registry.example.com/app:v1", "name@sha256:...") or id, pulled when
  // the store lacks it; unset, berth's built-in busybox (BUSYBOX).
  constructor(readonly image?: string) {
    if (image === "") throw invalidArgument("image is empty: name one, e.g. \"berth.local/busybox:latest\", or leave it out for the built-in busybox");
  }

  // withPullPolicy says when the image is pulled: "missing" (the default:
  // only when the store lacks it), "always" or "never".
  withPullPolicy(policy: "missing" | "always" | "never"): this {
    const policies = { missing: PullPolicy.MISSING, always: PullPolicy.ALWAYS, never: PullPolicy.NEVER };
    if (!(policy in policies)) throw invalidArgument(`pull policy ${JSON.stringify(policy)}: give "missing", "always" or "never"`);
    this.#pullPolicy = policies[policy];
    return this;
  }

  // withName sets the container's id (made up from the run's otherwise).
  withName(id: string): this {
    this.#name = id;
    return this;
  }

  // withEntrypoint goes in front of the command: the process's argv is
  // entrypoint then command (after an image's own entrypoint, which Create
  // keeps in front, as Docker does with a request's args).
  withEntrypoint(entrypoint: readonly string[]): this {
    this.#entrypoint = [...entrypoint];
    return this;
  }

  withCommand(command: readonly string[]): this {
    this.#command = [...command];
    return this;
  }

  // withEnv adds variables (a later value for a name replaces the earlier).
  withEnv(env: Readonly<Record<string, string>>): this {
    Object.assign(this.#env, env);
    return this;
  }

  withLabels(labels: Readonly<Record<string, string>>): this {
    Object.assign(this.#labels, labels);
    return this;
  }

  // withExposedPorts publishes container ports on 127.0.0.1, each on a
  // host port the daemon picks (getMappedPort tells which). It needs a
  // bridge network: the daemon's default one, or withNetwork's.
  withExposedPorts(...ports: ExposedPort[]): this {
    for (const p of ports) {
      const port = typeof p === "number" ? { port: p, protocol: "tcp" as const } : p;
      if (!Number.isInteger(port.port) || port.port < 1 || port.port > 65535) throw invalidArgument(`exposed port ${port.port}: give a port from 1 to 65535`);
      if (port.protocol !== "tcp" && port.protocol !== "udp") throw invalidArgument(`exposed port ${port.port}/${String(port.protocol)}: the protocol is "tcp" or "udp"`);
      this.#ports.push(port);
    }
    return this;
  }

  // withNetwork names the container's network: a bridge network's name,
  // "none" or "host".
  withNetwork(name: string): this {
    this.#network = name;
    return this;
  }

  withResources(resources: ResourceOptions): this {
    this.#resources = resources;
    return this;
  }

  // withUser is "user[:group]", names from the container's own account
  // files, or numbers.
  withUser(user: string | number): this {
    this.#user = String(user);
    return this;
  }

  withWorkingDir(dir: string): this {
    this.#workingDir = dir;
    return this;
  }

  // withRootfs takes the root filesystem from a host folder ({ path }) or
  // a tar archive of one ({ imagePath }), in place of the built-in one.
  withRootfs(source: { path: string } | { imagePath: string }, options: { readOnly?: boolean } = {}): this {
    const oneof = "path" in source ? ({ case: "path", value: source.path } as const) : ({ case: "imagePath", value: source.imagePath } as const);
    this.#rootfs = { source: oneof, readOnly: options.readOnly ?? false };
    return this;
  }

  // withCopyFilesToContainer copies host files in before the container's
  // first process starts.
  withCopyFilesToContainer(files: readonly FileToCopy[]): this {
    this.#files.push(...files);
    return this;
  }

  // withCopyContentToContainer writes files from strings or bytes before
  // the container's first process starts.
  withCopyContentToContainer(contents: readonly ContentToCopy[]): this {
    this.#contents.push(...contents);
    return this;
  }

  // withWaitStrategy says when the started container is ready; by default,
  // once every exposed TCP port accepts connections (or at once, with none).
  withWaitStrategy(strategy: WaitStrategy): this {
    this.#wait = strategy;
    return this;
  }

  // withStartupTimeout bounds the wait for readiness (60 s by default); a
  // strategy's own timeout, when shorter, ends it sooner.
  withStartupTimeout(ms: number): this {
    if (!Number.isFinite(ms) || ms < 0) throw invalidArgument(`start-up timeout ${ms} ms: give a number of milliseconds, 0 or more`);
    this.#startupTimeoutMs = ms;
    return this;
  }

  // createOptions is the Create request the builder makes, for the run.
  createOptions(run: RigRun): CreateOptions {
    const args = [...this.#entrypoint, ...this.#command];
    const options: CreateOptions = {
      process: {
        ...(args.length > 0 ? { args } : {}),
        env: Object.entries(this.#env).map(([k, v]) => `${k}=${v}`),
        ...(this.#workingDir !== undefined ? { cwd: this.#workingDir } : {}),
      },
      labels: { ...this.#labels, ...run.labels },
      ports: this.#ports.map((p) => ({ hostIp: HOST, hostPort: 0, containerPort: p.port, protocol: p.protocol })),
      start: false,
    };
    if (this.#network !== undefined) options.network = this.#network;
    if (this.#resources !== undefined) options.resources = this.#resources;
    if (this.#user !== undefined) options.security = { user: this.#user };
    if (this.#rootfs !== undefined) {
      if (this.image !== undefined) throw invalidArgument(`give either an image (${JSON.stringify(this.image)}) or withRootfs, not both`);
      options.rootfs = this.#rootfs;
    }
    if (this.image !== undefined) options.image = this.image;
    if (this.#pullPolicy !== undefined) options.pullPolicy = this.#pullPolicy;
    return options;
  }

  // start creates, fills, starts and waits for the container, and hands it
  // over ready; on any failure after Create, the container is deleted.
  async start(client: Client, options: StartOptions = {}): Promise<StartedContainer> {
    const run = options.run ?? currentRun();
    await run.reapOnce(client);
    const id = this.#name ?? `rig-${randomBytes(6).toString("hex")}`;
    await client.create(id, this.createOptions(run));
    try {
      await copyFiles(client, id, this.#files);
      await copyContents(client, id, this.#contents);
      const container = await client.start(id);
      const target: WaitTarget = { client, id, host: HOST, ports: container.ports, exec: (args, o) => execInContainer(client, id, args, o) };
      await this.#strategy().waitUntilReady(target, Date.now() + this.#startupTimeoutMs);
      return new StartedContainer(client, await client.state(id));
    } catch (err) {
      const failure = BerthError.from(err);
      const tail = await lastLogLines(client, id);
      await client.delete(id, { force: true }).catch(() => undefined);
      throw new BerthError(failure.code, `${failure.message}${tail}`, { cause: err });
    }
  }

  #strategy(): WaitStrategy {
    if (this.#wait !== undefined) return this.#wait;
    if (this.#ports.some((p) => p.protocol === "tcp")) return Wait.forListeningPorts();
    return Wait.forAll([]);
  }
}

// lastLogLines is the end of a container's output, for an error message.
async function lastLogLines(client: Client, id: string): Promise<string> {
  try {
    const lines: string[] = [];
    for await (const l of client.logs(id, { tail: LOG_LINES_ON_FAILURE })) lines.push(Buffer.from(l.line).toString("utf8"));
    return lines.length === 0 ? "; the container wrote nothing" : `; its last ${lines.length === 1 ? "line" : `${lines.length} lines`}:\n${lines.join("\n")}`;
  } catch {
    return "";
  }
}
