// ExitInfo is how a process ended, as berth records it.
export interface ExitInfo {
  exitCode: number;
  exitedAt: Date;
  oomKilled: boolean;
  // monitorDied: the monitor died before recording the exit, so exitCode
  // (255) is not the process's own.
  monitorDied?: boolean;
}
