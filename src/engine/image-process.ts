// applyImageConfig lays an image's config under a Create's request, as
// Docker does (daemon/create.go, runconfig merge): the request's args
// replace the image's cmd and follow its entrypoint; the image's env comes
// first and the request's entries replace those with the same name; the
// working dir, user and stop signal are the image's unless the request
// sets them. A user given by name is resolved through the image's own
// /etc/passwd and /etc/group, read without following a symlink out of it.
import type { CreateOptions, ProcessOptions } from "../api/client-options.js";
import { invalidArgument } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import type { ImageConfig } from "../image/image-manifest.js";
import { parseUserRef, resolveUser } from "../spec/container-user.js";
import { mergeEnv } from "../spec/process-spec.js";
import type { CheckedSecurity } from "../spec/security-options.js";

export async function applyImageConfig(options: CreateOptions, security: CheckedSecurity, config: ImageConfig, rootfs: string, reference: string): Promise<CreateOptions> {
  const process: ProcessOptions = options.process ?? {};
  const requested = process.args ?? [];
  const args = [...config.entrypoint, ...(requested.length > 0 ? requested : config.cmd)];
  if (args.length === 0) throw invalidArgument(`image ${quote(reference)} has neither entrypoint nor cmd: give process.args`);
  // A request's user (numeric, or security.user by name) wins.
  const field = `image ${quote(reference)}'s config user`;
  const user = process.user ?? (config.user !== "" && security.user === undefined ? await resolveUser(rootfs, parseUserRef(field, config.user), field) : undefined);
  const merged: ProcessOptions = {
    ...process,
    args,
    env: mergeEnv(config.env, process.env ?? []),
    cwd: process.cwd || config.workingDir || "/",
    ...(user !== undefined && { user }),
  };
  return {
    ...options,
    process: merged,
    stopSignal: options.stopSignal || config.stopSignal || "",
  };
}
