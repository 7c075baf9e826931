// The user a container's process runs as, given as "user[:group]" with
// names or numbers (Docker's --user), resolved in the container's own
// /etc/passwd and /etc/group as runc's libcontainer/user does for Docker.
import { open, realpath } from "node:fs/promises";
import { constants } from "node:fs";
import { join } from "node:path";

import { invalidArgument } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import type { OciUser } from "./oci-spec.js";
import { USER_ID_MAX, checkText } from "./request-limits.js";

export interface UserRef {
  user: string;
  group?: string;
}

// Names as useradd(8) and busybox adduser take them, and numbers.
const NAME = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?$/;
const USER_MAX_BYTES = 256;
// /etc/passwd and /etc/group are read whole: a bound keeps a hostile image
// from making the daemon read gigabytes.
const ACCOUNT_FILE_MAX_BYTES = 4 * 1024 * 1024;

export function parseUserRef(field: string, text: string): UserRef {
  checkText(field, text, USER_MAX_BYTES);
  const parts = text.split(":");
  if (parts.length > 2 || parts.some((p) => !NAME.test(p))) {
    throw invalidArgument(`${field} ${quote(text)} must be "user" or "user:group", each a name or a number, e.g. "nobody", "1000:1000" or "www-data:www-data"`);
  }
  const [user = "", group] = parts;
  for (const p of parts) if (isNumber(p) && Number(p) > USER_ID_MAX) throw invalidArgument(`${field} id ${p} is over ${USER_ID_MAX}`);
  return { user, ...(group !== undefined && { group }) };
}

const isNumber = (s: string): boolean => /^\d+$/.test(s);
// An empty or malformed id is no id (Number("") would be root's 0).
const strictId = (s: string | undefined): number => (s !== undefined && isNumber(s) ? Number(s) : Number.NaN);
const idOr0 = (s: string | undefined): number => (s !== undefined && isNumber(s) && Number(s) <= USER_ID_MAX ? Number(s) : 0);

interface Account {
  name: string;
  id: number;
  gid: number;
  members: string[];
}

// resolveUser finds ref in the root filesystem at rootfs: a name must be
// in its files (INVALID_ARGUMENT otherwise); a number may be absent, as in
// Docker. The user's own group is its passwd entry's, unless a group is
// given; a user named by name gets the groups that list it as a member.
export async function resolveUser(rootfs: string, ref: UserRef, field = "security.user"): Promise<OciUser> {
  const passwd = await readAccounts(rootfs, "etc/passwd", (f) => ({ name: f[0] ?? "", id: strictId(f[2]), gid: idOr0(f[3]), members: [] }));
  let uid: number;
  let gid = 0;
  let name: string | undefined;
  const byName = passwd.find((a) => a.name === ref.user);
  if (!isNumber(ref.user) || byName !== undefined) {
    if (byName === undefined) throw invalidArgument(`${field}: no user ${quote(ref.user)} in the container's /etc/passwd: give a user it lists, or a uid`);
    ({ id: uid, gid, name } = byName);
  } else {
    uid = Number(ref.user);
    const entry = passwd.find((a) => a.id === uid);
    if (entry !== undefined) ({ gid, name } = entry);
  }
  const needGroups = ref.group !== undefined || name !== undefined;
  const groups = needGroups ? await readAccounts(rootfs, "etc/group", (f) => ({ name: f[0] ?? "", id: strictId(f[2]), gid: 0, members: (f[3] ?? "").split(",").filter(Boolean) })) : [];
  if (ref.group !== undefined) {
    const byGroup = groups.find((g) => g.name === ref.group);
    if (byGroup !== undefined) gid = byGroup.id;
    else if (isNumber(ref.group)) gid = Number(ref.group);
    else throw invalidArgument(`${field}: no group ${quote(ref.group)} in the container's /etc/group: give a group it lists, or a gid`);
  }
  // Supplementary groups only when no group was forced, as Docker.
  const additional = ref.group === undefined && name !== undefined ? [...new Set(groups.filter((g) => g.members.includes(name)).map((g) => g.id))].filter((g) => g !== gid) : [];
  return { uid, gid, ...(additional.length > 0 && { additionalGids: additional }) };
}

// readAccounts parses a colon-separated account file of the container; a
// missing file is empty. The path must stay inside the root filesystem: a
// symlink out of it (an image's /etc/passwd -> /host/file) is refused.
async function readAccounts(rootfs: string, file: string, entry: (fields: string[]) => Account): Promise<Account[]> {
  const path = join(rootfs, file);
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    return [];
  }
  const root = await realpath(rootfs);
  if (!real.startsWith(`${root}/`)) throw invalidArgument(`the container's /${file} leads outside its root filesystem: berth will not read it`);
  const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const { size } = await handle.stat();
    if (size > ACCOUNT_FILE_MAX_BYTES) throw invalidArgument(`the container's /${file} is ${size} bytes, over ${ACCOUNT_FILE_MAX_BYTES}: berth will not read it`);
    const text = await handle.readFile("utf8");
    return text
      .split("\n")
      .filter((line) => line !== "" && !line.startsWith("#"))
      .map((line) => entry(line.split(":")))
      .filter((a) => a.name !== "" && Number.isSafeInteger(a.id) && a.id >= 0 && a.id <= USER_ID_MAX);
  } finally {
    await handle.close();
  }
}
