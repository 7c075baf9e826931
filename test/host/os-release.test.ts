import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { parseOsRelease, readOsRelease } from "../../src/host/os-release.js";

const DEBIAN_12 = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
`;

describe("parseOsRelease", () => {
  it("reads Debian's file", () => {
    const vars = parseOsRelease(DEBIAN_12);
    expect(vars.get("PRETTY_NAME")).toBe("Debian GNU/Linux 12 (bookworm)");
    expect(vars.get("VERSION_ID")).toBe("12");
    expect(vars.get("VERSION_CODENAME")).toBe("bookworm");
  });

  it("unquotes as the shell does", () => {
    const vars = parseOsRelease(
      [
        `A="say \\"hi\\" for \\$5 \\\\ \\\`x\\\` \\n"`,
        `B='single $quoted \\ "as is"'`,
        `C=bare`,
        `D=""`,
        `  E="indented"  `,
      ].join("\n"),
    );
    expect(Object.fromEntries(vars)).toEqual({
      A: 'say "hi" for $5 \\ `x` \\n',
      B: 'single $quoted \\ "as is"',
      C: "bare",
      D: "",
      E: "indented",
    });
  });

  it("skips comments, blank, malformed and unclosed lines", () => {
    const vars = parseOsRelease(`# a comment\n\nnot a line\n1BAD=x\nOPEN="never closed\nOPEN2='nor this\nID=alpine\r\n__proto__=x\n`);
    expect([...vars.keys()]).toEqual(["ID", "__proto__"]);
    expect(vars.get("ID")).toBe("alpine");
  });

  it("keeps the last of two assignments, as a shell sourcing it would", () => {
    expect(parseOsRelease("ID=a\nID=b\n").get("ID")).toBe("b");
  });
});

describe("readOsRelease", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "berth-os-release-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("falls back to the next file, then to Linux", async () => {
    await writeFile(join(dir, "usr-lib"), 'NAME="Arch Linux"\nPRETTY_NAME="Arch Linux"\nID=arch\n');
    expect(await readOsRelease([join(dir, "missing"), join(dir, "usr-lib")])).toEqual({ prettyName: "Arch Linux", versionId: "" });
    expect(await readOsRelease([join(dir, "missing")])).toEqual({ prettyName: "Linux", versionId: "" });
  });

  it("gives PRETTY_NAME its default when the file has none", async () => {
    await writeFile(join(dir, "bare"), "ID=x\nVERSION_ID=3.19\n");
    expect(await readOsRelease([join(dir, "bare")])).toEqual({ prettyName: "Linux", versionId: "3.19" });
  });
});
