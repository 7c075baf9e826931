// attachmentOf reads what a container got from a CNI 1.0.0 result: the
// interface inside its namespace (the one with a sandbox), its MAC, and
// its IPv4 and IPv6 addresses with their gateways.
export interface Attachment {
  network: string;
  interface: string;
  macAddress: string;
  ipv4Address: string;
  ipv4Gateway: string;
  ipv6Address: string;
  ipv6Gateway: string;
}

interface CniInterface {
  name?: string;
  mac?: string;
  sandbox?: string;
}

interface CniIp {
  interface?: number;
  address?: string;
  gateway?: string;
}

export function attachmentOf(network: string, ifName: string, result: Record<string, unknown>): Attachment {
  const interfaces = (Array.isArray(result["interfaces"]) ? result["interfaces"] : []) as CniInterface[];
  const ips = (Array.isArray(result["ips"]) ? result["ips"] : []) as CniIp[];
  const index = interfaces.findIndex((i) => i.sandbox !== undefined && i.sandbox !== "" && i.name === ifName);
  const own = ips.filter((ip) => index < 0 || ip.interface === undefined || ip.interface === index);
  const v4 = own.find((ip) => ip.address !== undefined && !ip.address.includes(":"));
  const v6 = own.find((ip) => ip.address !== undefined && ip.address.includes(":"));
  return {
    network,
    interface: ifName,
    macAddress: interfaces[index]?.mac ?? "",
    ipv4Address: v4?.address ?? "",
    ipv4Gateway: v4?.gateway ?? "",
    ipv6Address: v6?.address ?? "",
    ipv6Gateway: v6?.gateway ?? "",
  };
}

// addressOf is an address without its prefix length.
export function addressOf(cidr: string): string {
  return cidr.split("/")[0] ?? "";
}
