// resolveDevices reads the host device nodes a container is given (by path,
// or all of /dev for a privileged one) into the spec's linux.devices and
// the cgroup rules that let the container use them, as runc's
// libcontainer/devices (DeviceFromPath, HostDevices) does for Docker.
import { opendir, stat } from "node:fs/promises";
import type { BigIntStats } from "node:fs";
import { join } from "node:path";

import { invalidArgument, notFound } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import type { OciDevice, OciDeviceRule } from "./oci-spec.js";
import type { DeviceRequest } from "./security-options.js";

export interface ResolvedDevices {
  devices: OciDevice[];
  rules: OciDeviceRule[];
}

// The /dev entries runc's HostDevices skips: the container has its own
// pts, shm, mqueue and fd, and console is its terminal.
const SKIPPED_DIRS = new Set(["pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"]);
// A bound on the walk of /dev, which a host with thousands of disks could
// make long; more is refused rather than half given.
const HOST_DEVICES_MAX = 4096;

export async function resolveDevices(requests: readonly DeviceRequest[], privileged: boolean, field = "security.devices"): Promise<ResolvedDevices> {
  const devices: OciDevice[] = [];
  const rules: OciDeviceRule[] = [];
  if (privileged) {
    devices.push(...(await hostDevices("/dev")));
    // Every device, as Docker's privileged containers.
    rules.push({ allow: true, access: "rwm" });
  }
  for (let i = 0; i < requests.length; i++) {
    const r = requests[i] as DeviceRequest;
    const info = await stat(r.hostPath, { bigint: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT" || err.code === "ENOTDIR") throw notFound(`${field}[${i}].host_path ${quote(r.hostPath)} does not exist on the host`);
      throw invalidArgument(`${field}[${i}].host_path ${quote(r.hostPath)} cannot be read: ${err.code ?? err.message}`);
    });
    const device = toDevice(r.containerPath, info);
    if (device === undefined) throw invalidArgument(`${field}[${i}].host_path ${quote(r.hostPath)} is not a device node: give a character or block device such as /dev/fuse`);
    // A device named twice (or also in /dev for privileged) keeps the last.
    const at = devices.findIndex((d) => d.path === device.path);
    if (at >= 0) devices.splice(at, 1);
    devices.push(device);
    rules.push({ allow: true, type: device.type as "b" | "c", major: device.major ?? 0, minor: device.minor ?? 0, access: r.permissions });
  }
  return { devices, rules };
}

// hostDevices lists the device nodes under dir, as runc's HostDevices.
async function hostDevices(dir: string): Promise<OciDevice[]> {
  const found: OciDevice[] = [];
  const walk = async (path: string): Promise<void> => {
    const entries = await opendir(path).catch(() => undefined);
    if (entries === undefined) return;
    for await (const entry of entries) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) await walk(child);
        continue;
      }
      if (entry.name === "console" || !(entry.isCharacterDevice() || entry.isBlockDevice())) continue;
      const info = await stat(child, { bigint: true }).catch(() => undefined);
      const device = info && toDevice(child, info);
      if (device === undefined) continue;
      if (found.length >= HOST_DEVICES_MAX) throw invalidArgument(`the host has over ${HOST_DEVICES_MAX} device nodes in /dev: privileged would give them all; pass the devices needed instead`);
      found.push(device);
    }
  };
  await walk(dir);
  return found;
}

function toDevice(path: string, info: BigIntStats): OciDevice | undefined {
  const type = info.isCharacterDevice() ? "c" : info.isBlockDevice() ? "b" : undefined;
  if (type === undefined) return undefined;
  const rdev = info.rdev;
  // glibc's gnu_dev_major and gnu_dev_minor (sys/sysmacros.h).
  const major = Number(((rdev & 0xfff00n) >> 8n) | ((rdev & 0xfffff00000000000n) >> 32n));
  const minor = Number((rdev & 0xffn) | ((rdev & 0xffffff00000n) >> 12n));
  return { path, type, major, minor, fileMode: Number(info.mode & 0o777n), uid: Number(info.uid), gid: Number(info.gid) };
}
