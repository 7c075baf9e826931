// VersionInfo is what SystemService.Version answers: the daemon's version
// and the runtime and monitor it drives. Remote.version() returns it for a
// daemon in this process and GrpcClient.version() for one over the socket.
export interface VersionInfo {
  version: string;
  runtime: string;
  runtimeVersion: string;
  monitorVersion: string;
  cgroupMode: string;
}
