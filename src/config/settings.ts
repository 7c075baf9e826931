// SETTINGS is every setting of `berth serve`, in one table that the config
// file's schema, its defaults (`berth config default`), the environment
// variables and the flags are all read from, so none of them can name a
// setting the others lack. key is the dotted name in the TOML file
// ("socket.mode" is `mode` under `[socket]`); flag is `berth serve`'s
// option, env the variable. A setting without a default is unset unless
// given (no TCP listener, no log cap, the daemon's own socket owner).
import { LOG_FORMATS, LOG_LEVELS } from "../log/log-level.js";

export type SettingValue = string | number | boolean | string[];

export interface Setting {
  key: string;
  flag: string;
  // value names the flag's argument in `berth serve --help`.
  value?: string;
  env: string;
  // schema is the JSON schema (ajv) of the value in the file; flags and
  // environment values are read by type and then checked against it too.
  schema: Record<string, unknown> & { type?: "string" | "integer" | "boolean" | "array" };
  default?: SettingValue;
  // example is shown, commented out, for a setting without a default.
  example?: SettingValue;
  // allowed says in words what the schema accepts, for error messages.
  allowed: string;
  // separator splits a list given in the environment (default ",").
  separator?: string;
  comment: string;
}

const absolutePath = { type: "string", pattern: "^/", maxLength: 4095 } as const;
const userOrGroup = { type: "string", pattern: "^([a-zA-Z_][a-zA-Z0-9_.-]{0,31}|[0-9]{1,10})$" } as const;
const pemFile = { ...absolutePath };
const size = "^[0-9]+(\\.[0-9]+)?\\s*[bkmgtBKMGT]?([iI]?[bB])?$";
const count = (min: number) => ({ type: "integer", minimum: min, maximum: 2 ** 31 - 1 }) as const;

export const SETTINGS: readonly Setting[] = [
  { key: "state_dir", flag: "state-dir", value: "DIR", env: "BERTH_STATE_DIR", schema: absolutePath, default: "/var/lib/berth", allowed: "an absolute path", comment: "where containers, images, networks and the event journal are kept" },
  { key: "runtime", flag: "runtime", value: "PATH", env: "BERTH_RUNTIME", schema: { type: "string", minLength: 1, maxLength: 4095 }, default: "runc", allowed: "a program on PATH or an absolute path", comment: "the OCI runtime" },
  { key: "cgroup_parent", flag: "cgroup-parent", value: "PATH", env: "BERTH_CGROUP_PARENT", schema: { type: "string", pattern: "^(/[a-zA-Z0-9_.-]+)+$" }, default: "/berth", allowed: "an absolute cgroup path such as /berth or /kubepods/berth", comment: "the cgroup containers go under, as <parent>/<namespace>/<id>" },
  {
    key: "log_size_max",
    flag: "log-size-max",
    env: "BERTH_LOG_SIZE_MAX",
    schema: { anyOf: [{ type: "integer", minimum: 4096, maximum: Number.MAX_SAFE_INTEGER }, { type: "string", pattern: size }] },
    example: "64m",
    allowed: "bytes (at least 4096) or a size such as 64m",
    comment: "a cap on each container process's log file (default: no cap)",
  },
  {
    key: "userns.subuid_range",
    flag: "subuid-range",
    value: "START:COUNT",
    env: "BERTH_SUBUID_RANGE",
    // Remote.start checks the bounds and /etc/subuid and /etc/subgid.
    schema: { type: "string", pattern: "^[0-9]{1,10}:[0-9]{1,10}$" },
    default: "1000000000:655360000",
    allowed: 'START:COUNT host ids, such as "1000000000:655360000" (START at least 65536, COUNT at least 65536, clear of /etc/subuid and /etc/subgid)',
    comment: "the host uids and gids that --userns auto containers get their blocks from",
  },
  { key: "socket.path", flag: "socket", value: "PATH", env: "BERTH_SOCKET", schema: absolutePath, default: "/run/berth/berth.sock", allowed: "an absolute path", comment: "the unix socket the API is served on (clients read BERTH_SOCKET too)" },
  { key: "socket.mode", flag: "socket-mode", value: "OCTAL", env: "BERTH_SOCKET_MODE", schema: { type: "string", pattern: "^0?[0-7]{3}$" }, default: "600", allowed: 'octal permission bits as a string, such as "600" or "660"', comment: "the socket's permission bits" },
  { key: "socket.owner", flag: "socket-owner", value: "USER", env: "BERTH_SOCKET_OWNER", schema: userOrGroup, example: "root", allowed: "a user name or uid", comment: "the socket's owner (default: the daemon's user)" },
  { key: "socket.group", flag: "socket-group", value: "GROUP", env: "BERTH_SOCKET_GROUP", schema: userOrGroup, example: "berth", allowed: "a group name or gid", comment: "the socket's group (default: the daemon's group)" },
  { key: "listen.address", flag: "listen", value: "tcp://HOST:PORT", env: "BERTH_LISTEN", schema: { type: "string", pattern: "^tcp://" }, example: "tcp://0.0.0.0:7443", allowed: "tcp://HOST:PORT", comment: "also serve on TCP: needs tls_cert and tls_key, or insecure on a loopback address" },
  { key: "listen.tls_cert", flag: "tls-cert", value: "FILE", env: "BERTH_TLS_CERT", schema: pemFile, example: "/etc/berth/server.crt", allowed: "an absolute path to a PEM file", comment: "the TCP listener's certificate" },
  { key: "listen.tls_key", flag: "tls-key", value: "FILE", env: "BERTH_TLS_KEY", schema: pemFile, example: "/etc/berth/server.key", allowed: "an absolute path to a PEM file", comment: "the TCP listener's private key" },
  { key: "listen.tls_client_ca", flag: "tls-client-ca", value: "FILE", env: "BERTH_TLS_CLIENT_CA", schema: pemFile, example: "/etc/berth/clients-ca.crt", allowed: "an absolute path to a PEM file", comment: "mTLS: accept only clients with a certificate this CA signed" },
  { key: "listen.insecure", flag: "insecure", env: "BERTH_INSECURE", schema: { type: "boolean" }, default: false, allowed: "true or false", comment: "serve plain TCP without TLS (loopback addresses only)" },
  { key: "log.level", flag: "log-level", value: "LEVEL", env: "BERTH_LOG_LEVEL", schema: { type: "string", enum: [...LOG_LEVELS] }, default: "info", allowed: `one of ${LOG_LEVELS.join(", ")}`, comment: "the daemon's log level (change it while serving with `berth log-level`)" },
  { key: "log.format", flag: "log-format", value: "json|text", env: "BERTH_LOG_FORMAT", schema: { type: "string", enum: [...LOG_FORMATS] }, default: "json", allowed: "json (one JSON object a line) or text (for a terminal)", comment: "how log lines on stderr are written" },
  { key: "network.default", flag: "default-network", value: "NAME|none", env: "BERTH_DEFAULT_NETWORK", schema: { type: "string", pattern: "^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$" }, default: "berth", allowed: "a network name, or none", comment: "what a container naming no network joins" },
  { key: "network.subnet", flag: "network-subnet", value: "CIDR", env: "BERTH_NETWORK_SUBNET", schema: { type: "string", pattern: "^[0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}$" }, default: "10.87.0.0/16", allowed: "an IPv4 subnet such as 10.87.0.0/16", comment: "the default network's subnet" },
  { key: "network.bridge", flag: "network-bridge", value: "DEVICE", env: "BERTH_NETWORK_BRIDGE", schema: { type: "string", pattern: "^[a-zA-Z0-9_.-]{1,15}$" }, default: "berth0", allowed: "a device name of 1 to 15 letters, digits, _ . -", comment: "the default network's bridge device" },
  { key: "limits.max_request_size", flag: "max-request-size", env: "BERTH_MAX_REQUEST_SIZE", schema: { anyOf: [count(1024), { type: "string", pattern: size }] }, default: "4m", allowed: "bytes (1024 to 2147483647) or a size such as 4m", comment: "the largest request message, on every protocol (gRPC's default); bigger is RESOURCE_EXHAUSTED" },
  { key: "limits.max_concurrent_streams", flag: "max-concurrent-streams", env: "BERTH_MAX_CONCURRENT_STREAMS", schema: count(1), default: 1024, allowed: "a whole number from 1 to 2147483647", comment: "the calls one HTTP/2 connection carries at once; more wait" },
  { key: "limits.max_containers", flag: "max-containers", env: "BERTH_MAX_CONTAINERS", schema: count(1), default: 10_000, allowed: "a whole number from 1 to 2147483647", comment: "the containers one namespace may hold" },
  { key: "limits.max_event_subscribers", flag: "max-event-subscribers", env: "BERTH_MAX_EVENT_SUBSCRIBERS", schema: count(1), default: 1024, allowed: "a whole number from 1 to 2147483647", comment: "the event subscriptions open at once" },
  {
    key: "limits.max_image_archive_size",
    flag: "max-image-archive-size",
    env: "BERTH_MAX_IMAGE_ARCHIVE_SIZE",
    schema: { anyOf: [{ type: "integer", minimum: 1024, maximum: Number.MAX_SAFE_INTEGER }, { type: "string", pattern: size }] },
    default: "16g",
    allowed: "bytes (at least 1024) or a size such as 16g",
    comment: "the largest archive Load takes, as sent and as decompressed; bigger is RESOURCE_EXHAUSTED and nothing of it is kept",
  },
  {
    key: "authorization.rules",
    flag: "authorize", value: "IDENTITY=NS,...",
    env: "BERTH_AUTHORIZE",
    // The identity may hold "=" (a URI SAN's query); the last one ends it.
    schema: { type: "array", maxItems: 1024, items: { type: "string", maxLength: 4096, pattern: "^(cn|uri):.+=[^=,]+(,[^=,]+)*$" } },
    default: [],
    separator: ";",
    allowed:
      'IDENTITY=NAMESPACE[,NAMESPACE...] rules, IDENTITY being cn:<certificate common name> or uri:<URI subject alternative name> and * meaning every namespace, such as ["cn:ci-runner=ci", "uri:spiffe://example/admin=*"] (in the environment: separated by ;)',
    comment: "over TLS, the namespaces each client certificate may use; once any rule is given, other certificates get none (the flag is given once for each)",
  },
  { key: "registry.insecure", flag: "insecure-registry", value: "HOST[:PORT]", env: "BERTH_INSECURE_REGISTRY", schema: { type: "array", maxItems: 256, items: { type: "string", pattern: "^[a-zA-Z0-9.\\[\\]:-]{1,300}$" } }, default: [], allowed: 'a list of registries as host[:port], such as ["127.0.0.1:5000"] (in the environment: separated by commas)', comment: "registries that may be reached over plain HTTP, their TLS certificates unchecked (the flag is given once for each)" },
  { key: "registry.certs_dir", flag: "registry-certs-dir", value: "DIR", env: "BERTH_REGISTRY_CERTS_DIR", schema: absolutePath, default: "/etc/berth/certs.d", allowed: "an absolute path", comment: "CA certificates per registry, as <dir>/<host[:port]>/*.crt" },
  { key: "metrics.enabled", flag: "metrics", env: "BERTH_METRICS", schema: { type: "boolean" }, default: true, allowed: "true or false", comment: "serve Prometheus metrics at GET /metrics and time every call" },
  {
    key: "trace.file",
    flag: "trace",
    env: "BERTH_TRACE",
    schema: { type: "string", minLength: 1, maxLength: 4095 },
    example: "/var/log/berth/trace.jsonl",
    allowed: "a file path (lines are appended; the file is made if missing)",
    comment: "the phase trace: one JSON line per create, start, exec, kill, exit and delete with the time of each step (default: off)",
  },
];

export function settingNamed(key: string): Setting | undefined {
  return SETTINGS.find((s) => s.key === key);
}
