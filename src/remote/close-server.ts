// closeServer stops a server accepting and resolves once every connection it
// accepted has closed: it first asks them to finish (ask), and forces them
// (force) once graceMs has passed. A server that is not listening is left
// as it is.
import type * as net from "node:net";

export async function closeServer(server: net.Server, graceMs: number, ask: () => void, force: () => void): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  ask();
  const timer = setTimeout(force, graceMs);
  try {
    await closed;
  } finally {
    clearTimeout(timer);
  }
}
