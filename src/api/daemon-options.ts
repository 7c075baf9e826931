// The settings of a running daemon that Remote.updateOptions and the
// UpdateOptions RPC change (libcontainerd's UpdateOptions).
export interface UpdatableOptions {
  // logLevel: trace, debug, info, warn, error, fatal or silent.
  logLevel?: string;
  // logSizeMax caps the log file of each process started from now on, in
  // bytes (at least 4096).
  logSizeMax?: number;
}

// DaemonOptions are those settings as they are now.
export interface DaemonOptions {
  logLevel: string;
  // logSizeMax is 0 when logs have no cap.
  logSizeMax: number;
}
