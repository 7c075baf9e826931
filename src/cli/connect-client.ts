// withClient runs one command against the daemon at the socket and always
// closes the connection, so the CLI process can exit.
import type { Client } from "../client/client.js";
import { BerthError, isBerthError } from "../errors/berth-error.js";
import { Remote } from "../remote/remote.js";
import type { GlobalSettings } from "./command.js";

export async function withClient<T>(globals: GlobalSettings, use: (client: Client) => Promise<T>): Promise<T> {
  const client = await connectClient(globals);
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

// connectClient reaches the daemon, adding what to do about a missing one.
export async function connectClient(globals: GlobalSettings): Promise<Client> {
  const remote = await Remote.connect({ socketPath: globals.socket });
  try {
    return await remote.client(undefined, { namespace: globals.namespace });
  } catch (err) {
    throw withDaemonHint(err);
  }
}

export function withDaemonHint(err: unknown): unknown {
  if (!isBerthError(err, "unavailable")) return err;
  return new BerthError("unavailable", `${err.message} (is \`berth serve\` running? point --socket or BERTH_SOCKET at its socket)`, { cause: err });
}
