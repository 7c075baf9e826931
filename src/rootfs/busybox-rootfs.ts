import { chmod, copyFile, mkdir, symlink, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";

import { loadExeca } from "../runtime/lazy-execa.js";

import { BerthError } from "../errors/berth-error.js";
import { buildAtomically } from "./build-atomically.js";
import { findOnPath } from "./find-on-path.js";
import { isStaticElf } from "./is-static-elf.js";

const INSTALL_HINT = "install it with `apt-get install busybox-static`";
const BINARY = "bin/busybox";
// The marker doubles as a real file of the system, so the fast-path check
// adds nothing foreign to the container's root.
const MARKER = "etc/os-release";

// Directories every program expects; tmp is world-writable and sticky.
const DIRECTORIES: ReadonlyArray<readonly [string, number]> = [
  ["proc", 0o555],
  ["sys", 0o555],
  ["dev", 0o755],
  ["tmp", 0o1777],
  ["root", 0o700],
  ["etc", 0o755],
  ["var", 0o755],
  ["var/tmp", 0o1777],
  ["run", 0o755],
  ["home", 0o755],
  ["bin", 0o755],
  ["sbin", 0o755],
  ["usr/bin", 0o755],
  ["usr/sbin", 0o755],
];

const ETC_FILES: Readonly<Record<string, string>> = {
  "etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
  "etc/group": "root:x:0:\ntty:x:5:\nnogroup:x:65534:\n",
  "etc/hostname": "berth\n",
  "etc/hosts": "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n",
  "etc/nsswitch.conf": "passwd: files\ngroup: files\nhosts: files dns\n",
};

// ensureBusyboxRootfs returns <stateDir>/rootfs/busybox, berth's built-in
// root filesystem (a static busybox with all its applets and a minimal /etc),
// building it on first use.
export async function ensureBusyboxRootfs(stateDir: string): Promise<string> {
  const target = join(stateDir, "rootfs", "busybox");
  return buildAtomically({
    target,
    marker: MARKER,
    markerContent: 'NAME="berth busybox"\nID=berth-busybox\nPRETTY_NAME="berth busybox rootfs"\n',
    build: async (dir) => populate(dir, await findStaticBusybox()),
  });
}

async function findStaticBusybox(): Promise<string> {
  const busybox = await findOnPath("busybox");
  if (busybox === undefined) {
    throw new BerthError("unavailable", `busybox is not on PATH, and berth's default root filesystem needs it: ${INSTALL_HINT}`);
  }
  if (!(await isStaticElf(busybox))) {
    throw new BerthError(
      "unavailable",
      `${busybox} is dynamically linked, so it cannot run inside a container that has no libc: ${INSTALL_HINT} (it replaces the dynamic one)`,
    );
  }
  return busybox;
}

async function populate(dir: string, busybox: string): Promise<void> {
  for (const [path, mode] of DIRECTORIES) {
    await mkdir(join(dir, path), { recursive: true });
    await chmod(join(dir, path), mode); // mkdir's mode is filtered by umask
  }
  await copyFile(busybox, join(dir, BINARY));
  await chmod(join(dir, BINARY), 0o755);

  for (const applet of await listApplets(busybox)) {
    const link = join(dir, applet);
    await mkdir(dirname(link), { recursive: true });
    // Relative links resolve the same inside the container and from the host.
    await symlink(relative(dirname(applet), BINARY), link);
  }
  for (const [path, content] of Object.entries(ETC_FILES)) {
    await writeFile(join(dir, path), content, { mode: 0o644 });
  }
}

// listApplets returns the install paths busybox reports, e.g. "bin/sh".
async function listApplets(busybox: string): Promise<string[]> {
  const { stdout } = await (await loadExeca())(busybox, ["--list-full"], { stdin: "ignore" });
  return stdout
    .split("\n")
    .map((line) => line.trim().replace(/^\/+/, ""))
    .filter(
      (applet) =>
        // bin/busybox is the binary itself; linuxrc is an initrd entry point
        // with no meaning in a container.
        applet !== "" && applet !== BINARY && applet !== "linuxrc" && !applet.split("/").includes(".."),
    );
}
