// sdNotify tells systemd about the daemon's state (sd_notify(3)): READY=1
// once the socket serves, STOPPING=1 when a stop begins. It is a no-op
// unless systemd started the process with Type=notify (NOTIFY_SOCKET set).
// Written by hand because the protocol is one datagram and the packages
// that wrap it (sd-notify) are native addons of their own; node-unix-socket,
// which berth already loads for conmon's attach socket, sends datagrams.
import unixSocket from "node-unix-socket";

export async function sdNotify(state: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const target = env.NOTIFY_SOCKET;
  if (target === undefined || target === "") return;
  // An abstract socket ("@name") is "\0name" on the wire.
  const path = target.startsWith("@") ? `\0${target.slice(1)}` : target;
  const socket = new unixSocket.DgramSocket();
  try {
    const message = Buffer.from(state);
    await new Promise<void>((resolve, reject) => {
      socket.sendTo(message, 0, message.length, path, (err) => (err === undefined ? resolve() : reject(err)));
    });
  } finally {
    socket.close();
  }
}
