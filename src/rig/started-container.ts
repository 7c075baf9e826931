// StartedContainer is a container a builder started and is ready: its
// published ports and addresses, exec, logs and copies, and its end.
// Disposing of it (`await using`) deletes it, killing it first if it runs.
import type { Client, CopyFromResult, CopySource, LogLine, LogOptions, StopOptions } from "../client/client.js";
import { isBerthError, invalidArgument, notFound } from "../errors/berth-error.js";
import type { Container } from "../gen/berth/v1/types_pb.js";
import { copyContents, copyFiles, type ContentToCopy, type FileToCopy } from "./container-copies.js";
import { execInContainer, type ExecOptions, type ExecResult } from "./exec-in-container.js";

// HOST is where published ports are reached: the builder publishes every
// port on the loopback address only.
export const HOST = "127.0.0.1";

export class StartedContainer implements AsyncDisposable {
  #container: Container;

  constructor(
    readonly client: Client,
    container: Container,
  ) {
    this.#container = container;
  }

  getId(): string {
    return this.#container.id;
  }

  getHost(): string {
    return HOST;
  }

  getLabels(): Record<string, string> {
    return { ...this.#container.labels };
  }

  // getMappedPort is the host port a published container port was given.
  getMappedPort(port: number, protocol: "tcp" | "udp" = "tcp"): number {
    const binding = this.#container.ports.find((p) => p.containerPort === port && (p.protocol || "tcp") === protocol);
    if (binding === undefined) throw invalidArgument(`port ${port}/${protocol} of container ${this.getId()} is not published: add it with withExposedPorts`);
    return binding.hostPort;
  }

  getNetworkNames(): string[] {
    return this.#container.networks.map((n) => n.network);
  }

  // getIpAddress is the container's IPv4 address on a network, without
  // its prefix length.
  getIpAddress(network: string): string {
    const attachment = this.#container.networks.find((n) => n.network === network);
    if (attachment === undefined) {
      throw notFound(`container ${this.getId()} has no address on network ${JSON.stringify(network)}; it is on ${JSON.stringify(this.getNetworkNames())}`);
    }
    return attachment.ipv4Address.split("/")[0]!;
  }

  // state reads the container afresh (and keeps it for the getters).
  async state(): Promise<Container> {
    this.#container = await this.client.state(this.getId());
    return this.#container;
  }

  exec(args: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    return execInContainer(this.client, this.getId(), args, options);
  }

  logs(options?: LogOptions): AsyncIterable<LogLine> {
    return this.client.logs(this.getId(), options);
  }

  copyFilesToContainer(files: readonly FileToCopy[]): Promise<void> {
    return copyFiles(this.client, this.getId(), files);
  }

  copyContentToContainer(contents: readonly ContentToCopy[]): Promise<void> {
    return copyContents(this.client, this.getId(), contents);
  }

  // copyArchiveToContainer extracts a tar stream into an existing folder.
  async copyArchiveToContainer(tar: CopySource, target: string): Promise<void> {
    await this.client.copyTo(this.getId(), target, tar);
  }

  // copyArchiveFromContainer gives a path's stat and a tar of it.
  copyArchiveFromContainer(path: string): Promise<CopyFromResult> {
    return this.client.copyFrom(this.getId(), path);
  }

  // stop stops the container (its stop signal, then SIGKILL after the
  // timeout) and, unless remove is false, deletes it, as testcontainers'
  // stop does. Stopping a deleted container does nothing.
  async stop(options: StopOptions & { remove?: boolean } = {}): Promise<void> {
    const { remove = true, ...stop } = options;
    try {
      this.#container = (await this.client.stop(this.getId(), stop)).container;
      if (remove) await this.client.delete(this.getId());
    } catch (err) {
      if (!isBerthError(err, "not_found")) throw err;
    }
  }

  // delete kills the container if it runs and deletes it; a container
  // already deleted is left as it is.
  async delete(): Promise<void> {
    try {
      await this.client.delete(this.getId(), { force: true });
    } catch (err) {
      if (!isBerthError(err, "not_found")) throw err;
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.delete();
  }
}
