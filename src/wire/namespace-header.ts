// Every call names its namespace in one request header; a caller that sends
// none works in "default", as containerd does. The daemon reads the header
// (src/remote/namespace.ts) and GrpcClient sets it (src/client/transport.ts),
// so the name lives here, below both.
export const NAMESPACE_HEADER = "berth-namespace";
export const DEFAULT_NAMESPACE = "default";
