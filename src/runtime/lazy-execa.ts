// execa is loaded on the first spawn, not at start-up: it and its
// dependencies cost an idle daemon about 13 MiB of memory, and a daemon that
// runs nothing yet spawns nothing.
import type { execa as Execa } from "execa";

let loaded: Promise<typeof Execa> | undefined;

export function loadExeca(): Promise<typeof Execa> {
  loaded ??= import("execa").then((m) => m.execa);
  return loaded;
}
