// Which of x86-64's compatibility ABIs this kernel runs: 32-bit (ia32)
// and x32 code. A seccomp filter lists the architectures a process can
// call in; one for an ABI the kernel does not run changes no call that
// could ever be made (were one made anyway, a filter without its
// architecture kills it: stricter, never looser), and costs runc compile
// time in every runc init
// (measured on this host: the 32-bit ABI about 8 ms of CPU per container,
// x32 about 12 ms; see bench/README.md).
import { readFileSync } from "node:fs";
import { release } from "node:os";
import { gunzipSync } from "node:zlib";

export interface CompatAbis {
  ia32: boolean;
  x32: boolean;
}

// compatAbisOf reads a kernel configuration (undefined: none could be
// read, so both may run) and its command line. Each ABI is built in or
// not; built in, it is on unless off by default (a _DISABLED option), and
// the boot parameter turns it either way.
export function compatAbisOf(config: string | undefined, cmdline: string): CompatAbis {
  if (config === undefined) return { ia32: true, x32: true };
  const has = (option: string) => new RegExp(`^${option}=y$`, "m").test(config);
  const param = (name: string): boolean | undefined => {
    const v = cmdline.match(new RegExp(`(?:^|\\s)${name.replace(".", "\\.")}=(\\S*)`))?.[1];
    // The kernel's kstrtobool: y/t/1/on true, n/f/0/off false.
    if (v === undefined) return undefined;
    if (/^([yYtT1]|[oO][nN])/.test(v)) return true;
    if (/^([nNfF0]|[oO][fF])/.test(v)) return false;
    return undefined;
  };
  const runs = (built: boolean, offByDefault: boolean, name: string) => built && (param(name) ?? !offByDefault);
  return {
    ia32: runs(has("CONFIG_IA32_EMULATION"), has("CONFIG_IA32_EMULATION_DEFAULT_DISABLED"), "ia32_emulation"),
    x32: runs(has("CONFIG_X86_X32(_ABI)?"), has("CONFIG_X86_X32_DISABLED"), "syscall.x32"),
  };
}

let host: CompatAbis | undefined;

// hostCompatAbis reads this kernel's configuration (/proc/config.gz, else
// /boot/config-<release>) and command line once.
export function hostCompatAbis(): CompatAbis {
  host ??= compatAbisOf(readConfig(), readOr("/proc/cmdline"));
  return host;
}

function readConfig(): string | undefined {
  try {
    return gunzipSync(readFileSync("/proc/config.gz")).toString("latin1");
  } catch {
    const text = readOr(`/boot/config-${release()}`);
    return text === "" ? undefined : text;
  }
}

function readOr(path: string): string {
  try {
    return readFileSync(path, "latin1");
  } catch {
    return "";
  }
}
