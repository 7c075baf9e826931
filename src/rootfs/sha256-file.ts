import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

// sha256File returns the hex SHA-256 of a file's content, streamed so that
// large images need no memory in proportion.
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
