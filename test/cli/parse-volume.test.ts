import { dirname } from "node:path";
import { describe, expect, it } from "vitest";

import { parseVolume } from "../../src/cli/parse-volume.js";
import { UsageError } from "../../src/cli/usage-error.js";

function usageError(text: string): string {
  try {
    parseVolume(text);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`expected a usage error for ${text}`);
}

describe("parseVolume", () => {
  it("reads HOST:CONTAINER as a read-write bind mount, and :ro or :rw as its mode", () => {
    expect(parseVolume("/srv/data:/data")).toEqual({ source: "/srv/data", destination: "/data", readOnly: false });
    expect(parseVolume("/srv/data:/data:ro")).toEqual({ source: "/srv/data", destination: "/data", readOnly: true });
    expect(parseVolume("/srv/data:/data:rw")).toEqual({ source: "/srv/data", destination: "/data", readOnly: false });
  });

  it("takes a host path starting with . relative to the caller's folder", () => {
    expect(parseVolume("./data:/data").source).toBe(`${process.cwd()}/data`);
    expect(parseVolume("../up:/up").source).toBe(`${dirname(process.cwd())}/up`);
    expect(parseVolume(".:/here").source).toBe(process.cwd());
  });

  it("refuses what is not HOST:CONTAINER[:ro], saying why", () => {
    expect(usageError("/data")).toBe('--volume "/data": give HOST:CONTAINER[:ro]');
    expect(usageError(":/data")).toBe('--volume ":/data": give HOST:CONTAINER[:ro]');
    expect(usageError("/data:")).toBe('--volume "/data:": give HOST:CONTAINER[:ro]');
    expect(usageError("/a:/b:ro:x")).toBe('--volume "/a:/b:ro:x": give HOST:CONTAINER[:ro]');
    expect(usageError("/a:/b:z")).toBe('--volume "/a:/b:z": the mode must be ro or rw, not "z"');
    expect(usageError("/a:/b:")).toBe('--volume "/a:/b:": the mode must be ro or rw, not ""');
  });

  it("refuses a named volume and a relative container path", () => {
    expect(usageError("data:/data")).toBe('--volume "data:/data": berth has no named volumes: give a host path (/data or ./data)');
    expect(usageError("/srv:data")).toBe('--volume "/srv:data": the container path "data" must be absolute');
  });
});
