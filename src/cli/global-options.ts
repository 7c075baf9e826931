// The options every berth command accepts, and how each falls back to the
// environment and then to the daemon's defaults.
import { DEFAULT_SOCKET, DEFAULT_STATE_DIR } from "../remote/remote.js";
import { DEFAULT_NAMESPACE } from "../wire/namespace-header.js";
import type { GlobalSettings } from "./command.js";
import type { OptionSpec, OptionValue } from "./parse-argv.js";

export const GLOBAL_OPTIONS: OptionSpec[] = [
  { name: "socket", type: "string", value: "PATH", help: `the daemon's unix socket (env BERTH_SOCKET; default ${DEFAULT_SOCKET})` },
  { name: "namespace", short: "n", type: "string", value: "NS", help: `namespace to work in (env BERTH_NAMESPACE; default "${DEFAULT_NAMESPACE}")` },
  { name: "state-dir", type: "string", value: "DIR", help: `state directory of serve and demo (serve: env BERTH_STATE_DIR or its config file; default ${DEFAULT_STATE_DIR})` },
  { name: "help", short: "h", type: "boolean", help: "show help" },
];

export function resolveGlobals(values: Record<string, OptionValue | undefined>, env: NodeJS.ProcessEnv): GlobalSettings {
  const pick = (name: string, envName: string | undefined, fallback: string): string => {
    const value = values[name];
    if (typeof value === "string") return value;
    const fromEnv = envName === undefined ? undefined : env[envName];
    return fromEnv !== undefined && fromEnv !== "" ? fromEnv : fallback;
  };
  return {
    socket: pick("socket", "BERTH_SOCKET", DEFAULT_SOCKET),
    namespace: pick("namespace", "BERTH_NAMESPACE", DEFAULT_NAMESPACE),
    stateDir: pick("state-dir", undefined, DEFAULT_STATE_DIR),
  };
}
