// formatInfo prints Info the way `docker info` prints its server section:
// "Key: value" lines under the same names, so what people grep for is
// where they expect it.
import { timestampDate } from "@bufbuild/protobuf/wkt";

import type { HostInfo } from "../client/types.js";
import { formatBytes } from "./parse-size.js";

const yesNo = (b: boolean) => (b ? "yes" : "no");

export function formatInfo(info: HostInfo): string {
  return (
    [
      `Containers: ${info.containers}`,
      ` Running: ${info.containersRunning}`,
      ` Paused: ${info.containersPaused}`,
      ` Stopped: ${info.containersStopped}`,
      `Images: ${info.images}`,
      `Server Version: ${info.serverVersion}`,
      `Storage Driver: ${info.driver}`,
      `Cgroup Mode: ${info.cgroupMode}`,
      `Memory Limit: ${yesNo(info.memoryLimit)}`,
      `Swap Limit: ${yesNo(info.swapLimit)}`,
      `Runtime: ${info.runtime}`,
      `Kernel Version: ${info.kernelVersion}`,
      `Operating System: ${info.operatingSystem}`,
      `OS Version: ${info.osVersion}`,
      `OSType: ${info.osType}`,
      `Architecture: ${info.architecture}`,
      `CPUs: ${info.ncpu}`,
      `Total Memory: ${formatBytes(info.memTotalBytes)}`,
      `Name: ${info.name}`,
      `ID: ${info.id}`,
      `System Time: ${info.systemTime ? timestampDate(info.systemTime).toISOString() : "-"}`,
    ].join("\n") + "\n"
  );
}
