import { fileHead } from "../rootfs/file-head.js";

// isGzipFile tells whether a file starts with gzip's magic bytes.
export async function isGzipFile(path: string): Promise<boolean> {
  const head = await fileHead(path, 2);
  return head[0] === 0x1f && head[1] === 0x8b;
}
