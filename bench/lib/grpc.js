// @ts-check
// gRPC plumbing shared by the containerd and berth adapters: loading .proto
// files with @grpc/proto-loader, clients on unix sockets, and promises
// around unary calls. Both daemons are driven by the same independent
// client library (@grpc/grpc-js), so neither gets a client advantage.
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

/**
 * loadPackage loads proto files (paths relative to one of includeDirs).
 * Integers of 64 bits arrive as strings, enums as their names.
 * @param {string[]} files
 * @param {string[]} includeDirs
 * @returns {grpc.GrpcObject}
 */
export function loadPackage(files, includeDirs) {
  const definition = protoLoader.loadSync(files, {
    includeDirs,
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  return grpc.loadPackageDefinition(definition);
}

/**
 * lookup finds a service constructor by its full name, e.g.
 * "containerd.services.tasks.v1.Tasks".
 * @param {grpc.GrpcObject} pkg
 * @param {string} fullName
 * @returns {grpc.ServiceClientConstructor}
 */
export function lookup(pkg, fullName) {
  /** @type {unknown} */
  let node = pkg;
  for (const part of fullName.split(".")) {
    node = /** @type {Record<string, unknown>} */ (node)[part];
    if (node === undefined) throw new Error(`${fullName} is not in the loaded proto files`);
  }
  return /** @type {grpc.ServiceClientConstructor} */ (node);
}

/**
 * @typedef {(request: object, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, response: any) => void) => grpc.ClientUnaryCall} UnaryFn
 */

/**
 * @typedef {(request: object, metadata: grpc.Metadata) => grpc.ClientReadableStream<any>} StreamFn
 */

/**
 * DynamicClient is a client made from loaded .proto files: its methods are
 * known only at run time (unary ones through unary(), server streams
 * called directly as client.subscribe(request, metadata)).
 * @typedef {grpc.Client & Record<string, StreamFn>} DynamicClient
 */

/**
 * connect makes a client of service on the unix socket at socketPath. A
 * private connection (own subchannel pool) when isolated is set, so that
 * many clients are many connections, as many separate subscribers would be.
 * @param {grpc.ServiceClientConstructor} Service
 * @param {string} socketPath
 * @param {{ isolated?: boolean }} [options]
 * @returns {DynamicClient}
 */
export function connect(Service, socketPath, options = {}) {
  /** @type {grpc.ChannelOptions} */
  const channelOptions = { "grpc.max_receive_message_length": 64 * 1024 * 1024 };
  if (options.isolated === true) channelOptions["grpc.use_local_subchannel_pool"] = 1;
  return /** @type {DynamicClient} */ (new Service(`unix:${socketPath}`, grpc.credentials.createInsecure(), channelOptions));
}

/**
 * metadataOf builds call metadata from a plain object.
 * @param {Record<string, string>} values
 * @returns {grpc.Metadata}
 */
export function metadataOf(values) {
  const md = new grpc.Metadata();
  for (const [key, value] of Object.entries(values)) md.set(key, value);
  return md;
}

/**
 * unary calls method on client and resolves with the response.
 * @param {DynamicClient} client
 * @param {string} method the method's name in lowerCamelCase as loaded
 *   (proto-loader exposes both "Create" and "create")
 * @param {object} request
 * @param {grpc.Metadata} metadata
 * @param {number} [timeoutMs]
 * @returns {Promise<any>}
 */
export function unary(client, method, request, metadata, timeoutMs = 60_000) {
  const fn = /** @type {UnaryFn | undefined} */ (/** @type {Record<string, unknown>} */ (/** @type {unknown} */ (client))[method]);
  if (typeof fn !== "function") throw new Error(`no method ${method} on this client`);
  return new Promise((resolve, reject) => {
    fn.call(client, request, metadata, { deadline: Date.now() + timeoutMs }, (err, response) => {
      if (err !== null) reject(err);
      else resolve(response);
    });
  });
}

/**
 * waitReady resolves when the client's channel is connected.
 * @param {grpc.Client} client
 * @param {number} timeoutMs
 * @returns {Promise<void>}
 */
export function waitReady(client, timeoutMs) {
  return new Promise((resolve, reject) => {
    client.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(err) : resolve()));
  });
}

/**
 * isCode tells whether err is a gRPC error with one of the status codes.
 * @param {unknown} err
 * @param {...grpc.status} codes
 * @returns {boolean}
 */
export function isCode(err, ...codes) {
  const code = /** @type {{ code?: unknown }} */ (err)?.code;
  return typeof code === "number" && codes.includes(code);
}

export { grpc };
