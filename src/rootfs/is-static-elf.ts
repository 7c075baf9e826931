import { open } from "node:fs/promises";

const PT_INTERP = 3;

// isStaticElf tells whether the ELF executable at path runs without a
// dynamic loader: it has no PT_INTERP program header. A binary copied into a
// rootfs that holds no libc must pass this test, or exec fails inside the
// container with a confusing "no such file or directory".
export async function isStaticElf(path: string): Promise<boolean> {
  const file = await open(path, "r");
  try {
    const header = Buffer.alloc(64);
    const { bytesRead } = await file.read(header, 0, header.length, 0);
    if (bytesRead < 52 || header.readUInt32BE(0) !== 0x7f454c46) return false;
    const is64 = header[4] === 2;
    const littleEndian = header[5] === 1;
    const u16 = (at: number) => (littleEndian ? header.readUInt16LE(at) : header.readUInt16BE(at));
    const phoff = is64
      ? Number(littleEndian ? header.readBigUInt64LE(0x20) : header.readBigUInt64BE(0x20))
      : littleEndian
        ? header.readUInt32LE(0x1c)
        : header.readUInt32BE(0x1c);
    const phentsize = u16(is64 ? 0x36 : 0x2a);
    const phnum = u16(is64 ? 0x38 : 0x2c);

    const table = Buffer.alloc(phentsize * phnum);
    await file.read(table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) {
      const at = i * phentsize;
      const type = littleEndian ? table.readUInt32LE(at) : table.readUInt32BE(at);
      if (type === PT_INTERP) return false;
    }
    return true;
  } finally {
    await file.close();
  }
}
