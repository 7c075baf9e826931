// parsePublish reads -p/--publish as Docker spells it:
// [HOSTIP:][HOSTPORT:]CONTAINERPORT[/PROTOCOL]. A missing host port (or an
// empty one, "127.0.0.1::80") has the daemon pick a free one; an IPv6
// host address goes in brackets ("[::1]:8080:80"). The daemon checks the
// numbers and the address; this only splits the text.
import { UsageError } from "./usage-error.js";

export interface PublishedPort {
  hostIp: string;
  hostPort: number;
  containerPort: number;
  protocol: string;
}

const FORMAT = "[HOSTIP:][HOSTPORT:]CONTAINERPORT[/udp]";

export function parsePublish(text: string): PublishedPort {
  const bad = (why: string) => new UsageError(`--publish ${JSON.stringify(text)}: ${why}`);
  const slash = text.lastIndexOf("/");
  const protocol = slash < 0 ? "tcp" : text.slice(slash + 1);
  if (protocol !== "tcp" && protocol !== "udp") throw bad(`the protocol must be tcp or udp, not ${JSON.stringify(protocol)}`);
  let rest = slash < 0 ? text : text.slice(0, slash);
  let hostIp = "";
  const v6 = /^\[([^\]]*)\]:(.*)$/.exec(rest);
  if (v6 !== null) {
    hostIp = v6[1]!;
    rest = v6[2]!;
  }
  const parts = rest.split(":");
  if (v6 === null && parts.length === 3) hostIp = parts.shift()!;
  if (parts.length > 2 || (v6 !== null && parts.length !== 2)) throw bad(`give ${FORMAT}`);
  const [first = "", second] = parts;
  const port = (s: string, what: string) => {
    if (!/^\d{1,5}$/.test(s)) throw bad(`the ${what} ${JSON.stringify(s)} is not a port number`);
    return Number(s);
  };
  if (second === undefined) return { hostIp, hostPort: 0, containerPort: port(first, "container port"), protocol };
  return { hostIp, hostPort: first === "" ? 0 : port(first, "host port"), containerPort: port(second, "container port"), protocol };
}
