// -p/--publish as Docker spells it: [HOSTIP:][HOSTPORT:]CONTAINERPORT[/PROTO].
import { describe, expect, it } from "vitest";

import { parsePublish } from "../../src/cli/parse-publish.js";
import { UsageError } from "../../src/cli/usage-error.js";

describe("parsePublish", () => {
  it.each([
    ["80", { hostIp: "", hostPort: 0, containerPort: 80, protocol: "tcp" }],
    ["8080:80", { hostIp: "", hostPort: 8080, containerPort: 80, protocol: "tcp" }],
    ["127.0.0.1:8080:80", { hostIp: "127.0.0.1", hostPort: 8080, containerPort: 80, protocol: "tcp" }],
    ["127.0.0.1::80", { hostIp: "127.0.0.1", hostPort: 0, containerPort: 80, protocol: "tcp" }],
    ["5353:53/udp", { hostIp: "", hostPort: 5353, containerPort: 53, protocol: "udp" }],
    ["[::1]:8080:80/tcp", { hostIp: "::1", hostPort: 8080, containerPort: 80, protocol: "tcp" }],
  ])("reads %s", (text, want) => {
    expect(parsePublish(text)).toEqual(want);
  });

  it.each(["", "http", "80/sctp", "1:2:3:4", "a:80", "80:b", "[::1]:80"])("refuses %j with a usage error", (text) => {
    expect(() => parsePublish(text)).toThrow(UsageError);
  });
});
