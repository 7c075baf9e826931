// NetworkState is what a container's folder remembers of its network
// (network.json): how it was asked for, where its namespace is bound, and
// what the current run got from CNI. It is written before the namespace
// is made and before every CNI call, so whatever a crash interrupts, the
// folder says what to undo (see NetworkManager.release).
import { readFile } from "node:fs/promises";
import { join } from "node:path";

import type { Attachment } from "./cni-result.js";
import type { PortSpec } from "./port-bindings.js";
import { writeFileAtomic } from "./write-file-atomic.js";

export type NetworkMode = "none" | "host" | "bridge";

export interface NetworkState {
  namespace: string;
  containerId: string;
  mode: NetworkMode;
  // network is the bridge network's name (bridge mode).
  network?: string;
  // cniId is CNI_CONTAINERID, unique on the host for this daemon's state.
  cniId?: string;
  // netns is the bind-mounted namespace's path (bridge mode).
  netns?: string;
  // postConfigure: the container has a user namespace of its own, so the
  // runtime makes each run's network namespace inside it (one the host's
  // user namespace owned could not be entered by runc exec from inside),
  // and berth binds it at netns after runc create, then runs CNI ADD
  // (Podman's PostConfigureNetNS).
  postConfigure?: boolean;
  hostname: string;
  ports: PortSpec[];
  dns: string[];
  // etcDir holds the hosts, resolv.conf and hostname files.
  etcDir?: string;
  // attached is the current run's address and bound ports; set from just
  // before CNI ADD ("adding") until DEL is done.
  attached?: { phase: "adding" | "added"; attachment?: Attachment; ports: PortSpec[] };
}

export const STATE_FILE = "network.json";

export async function readNetworkState(dir: string): Promise<NetworkState | undefined> {
  const text = await readFile(join(dir, STATE_FILE), "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as NetworkState;
  } catch {
    return undefined;
  }
}

export async function saveNetworkState(dir: string, state: NetworkState): Promise<void> {
  await writeFileAtomic(join(dir, STATE_FILE), JSON.stringify(state));
}
