import { open } from "node:fs/promises";

// fileHead returns the first n bytes of a file (fewer if it is shorter).
export async function fileHead(path: string, n: number): Promise<Buffer> {
  const fh = await open(path, "r");
  try {
    const head = Buffer.alloc(n);
    const { bytesRead } = await fh.read(head, 0, n, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
