// The bounds of every repeated field and string a request may carry. A
// request is checked against them before any work per entry, so the cost
// of refusing one is tiny and the cost of serving one is bounded; each
// refusal is INVALID_ARGUMENT naming the bound. Where the kernel or a real
// runtime has a limit, berth takes it: a request past it would fail later,
// inside runc, with a message that says less.
import { invalidArgument } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";

// MAX_ARG_STRLEN (include/uapi/linux/binfmts.h): execve refuses a single
// argument or environment string of 32 pages or more, its NUL included.
export const ARG_STRING_MAX_BYTES = 128 * 1024 - 1;
// ARG_MAX with the default 8 MiB stack (fs/exec.c, bprm_stack_limits): the
// strings of argv and envp with their NULs, plus one pointer per string,
// must fit in a quarter of the stack limit.
export const ARG_MAX_BYTES = 2 * 1024 * 1024;
const POINTER_BYTES = 8;
// ARGS_MAX_ENTRIES and ENV_MAX_ENTRIES: ARG_MAX alone would allow about
// 233,000 one-character entries; no program started through a container
// API takes a fraction of that, and the bound keeps one request's work
// (decoding, merging, writing the spec) to milliseconds.
export const ARGS_MAX_ENTRIES = 16_384;
export const ENV_MAX_ENTRIES = 16_384;
// PATH_MAX (include/uapi/linux/limits.h), its NUL included.
export const PATH_MAX_BYTES = 4095;
// The kernel allows 65,536 supplementary groups (NGROUPS_MAX); a user's
// real group list is a few dozen, and runc writes each into the spec.
export const ADDITIONAL_GIDS_MAX_ENTRIES = 1024;
// uid_t is 32 bits, but (uid_t)-1 means "no change" to setresuid and runc
// (Go's int32 in its user lookup) refuses ids past 2^31-1.
export const USER_ID_MAX = 2 ** 31 - 1;
// A terminal's size is an unsigned short in struct winsize.
export const CONSOLE_SIZE_MAX = 65_535;
// Labels become OCI annotations and ride in every State, List and event
// answer. Kubernetes allows a 253-byte prefix, '/', and a 63-byte name as a
// key, and 256 KiB of annotations per object; berth keeps a quarter of that
// so a List of many containers stays within a default client's 4 MiB.
export const LABELS_MAX_ENTRIES = 128;
export const LABEL_KEY_MAX_BYTES = 253 + 1 + 63;
export const LABEL_VALUE_MAX_BYTES = 4096;
export const LABELS_MAX_BYTES = 64 * 1024;
// MOUNTS_MAX_ENTRIES: each bind mount is a mount(2) call in runc's init; a
// few dozen is a large container (Kubernetes pods average under ten).
export const MOUNTS_MAX_ENTRIES = 256;
// HOSTNAME_MAX_BYTES: a DNS name (RFC 1035); each label at most 63.
export const HOSTNAME_MAX_BYTES = 253;
// OCI_SPEC_JSON_MAX_BYTES: `runc spec` writes about 3 KiB and real specs
// with long seccomp profiles about 30 KiB; parsing and checking a spec runs
// on the event loop at about 10 ms a MiB. A process that needs more than
// this of args and env is given them through the request's ProcessSpec.
export const OCI_SPEC_JSON_MAX_BYTES = 1024 * 1024;
// SIGNAL_MAX_BYTES: the longest name is "SIGRTMAX-14"; room for spaces.
export const SIGNAL_MAX_BYTES = 32;
// CPUSET_MAX_BYTES: a list naming every other CPU of an 8192-CPU machine
// (the kernel's NR_CPUS ceiling) takes about 40 KiB; real lists are short.
export const CPUSET_MAX_BYTES = 4096;
// LOGS_TAIL_MAX bounds the lines Logs keeps in memory to answer a tail.
export const LOGS_TAIL_MAX = 1_000_000;
// IMAGE_REFERENCE_MAX_BYTES bounds an image reference (at most 255
// characters of name, then a tag and a digest).
export const IMAGE_REFERENCE_MAX_BYTES = 512;
// SAVE_IMAGES_MAX_ENTRIES bounds the images of one Save.
export const SAVE_IMAGES_MAX_ENTRIES = 256;
// Filters: ids and types a List or Subscribe keeps.
export const FILTER_IDS_MAX_ENTRIES = 1024;
export const FILTER_ENUMS_MAX_ENTRIES = 64;
// The range of google.protobuf.Timestamp (timestamp.proto): from
// 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z, nanos 0 to
// 999,999,999. Outside it a time has no RFC 3339 form, and Date would turn
// it into another time or none.
export const TIMESTAMP_MIN_SECONDS = -62_135_596_800;
export const TIMESTAMP_MAX_SECONDS = 253_402_300_799;
export const TIMESTAMP_MAX_NANOS = 999_999_999;
export const TIMESTAMP_RANGE_TEXT = "0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z";
// REPEATED_MAX_ENTRIES is the largest bound any repeated or map field has:
// no list or object in a request may hold more, and the pre-scans of raw
// request bytes (request-elements.ts) refuse one that does before it is
// parsed, since parsing a 20,000-member object alone takes over 100 ms.
export const REPEATED_MAX_ENTRIES = Math.max(ARGS_MAX_ENTRIES, ENV_MAX_ENTRIES, ADDITIONAL_GIDS_MAX_ENTRIES, LABELS_MAX_ENTRIES, MOUNTS_MAX_ENTRIES, FILTER_IDS_MAX_ENTRIES, FILTER_ENUMS_MAX_ENTRIES);
// TOP_LEVEL_ENTRY_BOUNDS: the bounds of the repeated and map fields at the
// top of each request type, by type name and proto field name, which the
// pre-scans apply in the same pass (each is also checked after decoding).
export const TOP_LEVEL_ENTRY_BOUNDS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  "berth.v1.CreateRequest": { labels: LABELS_MAX_ENTRIES, mounts: MOUNTS_MAX_ENTRIES },
  "berth.v1.ListRequest": { statuses: FILTER_ENUMS_MAX_ENTRIES, labels: LABELS_MAX_ENTRIES },
  "berth.v1.SubscribeRequest": { container_ids: FILTER_IDS_MAX_ENTRIES, types: FILTER_ENUMS_MAX_ENTRIES },
};
// REQUEST_MAX_ELEMENTS bounds the fields of one request message on the
// wire, counted before it is decoded: decoding costs about a microsecond
// per element on the event loop, so a message of millions of tiny entries
// (16 MiB holds eight million) would stall every other client. It is the
// sum of the bounds above with room to spare.
export const REQUEST_MAX_ELEMENTS = 65_536;

// checkCount throws unless a repeated field holds at most max entries.
export function checkCount(field: string, length: number, max: number): void {
  if (length > max) throw invalidArgument(`${field} has ${length} entries, over the limit of ${max}: send at most ${max}`);
}

// checkText throws unless value is a string of at most maxBytes UTF-8 bytes.
// The length in UTF-16 units bounds the bytes from both sides, so most
// strings are judged without encoding them.
export function checkText(field: string, value: unknown, maxBytes: number): string {
  if (typeof value !== "string") throw invalidArgument(`${field} must be a string`);
  if (value.length > maxBytes || (value.length * 3 > maxBytes && Buffer.byteLength(value, "utf8") > maxBytes)) {
    throw invalidArgument(`${field} ${quote(value)} is longer than the limit of ${maxBytes} bytes`);
  }
  return value;
}

// checkPath bounds a path given by the client (host or container side) and
// refuses a NUL in it: the kernel takes paths as C strings, and Node's fs
// and Go's syscall package each throw on one, which would reach the client
// as INTERNAL.
export function checkPath(field: string, value: string | undefined): void {
  if (value === undefined) return;
  checkText(field, value, PATH_MAX_BYTES);
  if (value.includes("\0")) throw invalidArgument(`${field} ${quote(value)} contains a NUL character: give a path without one`);
}

// checkExecStrings applies execve's limits to a process's args and env,
// counting as the kernel does: each string with its NUL and its pointer.
export function checkExecStrings(field: string, args: readonly unknown[], env: readonly unknown[]): void {
  checkCount(`${field}.args`, args.length, ARGS_MAX_ENTRIES);
  checkCount(`${field}.env`, env.length, ENV_MAX_ENTRIES);
  let total = 0;
  const add = (name: string, list: readonly unknown[]) => {
    for (let i = 0; i < list.length; i++) {
      const value = checkText(`${name}[${i}]`, list[i], ARG_STRING_MAX_BYTES);
      total += Buffer.byteLength(value, "utf8") + 1 + POINTER_BYTES;
    }
  };
  add(`${field}.args`, args);
  add(`${field}.env`, env);
  if (total > ARG_MAX_BYTES) {
    throw invalidArgument(
      `${field}.args and ${field}.env take ${total} bytes as execve counts them (each string, its NUL and a pointer), over the kernel's ARG_MAX of ${ARG_MAX_BYTES}: pass large data in a file or mount instead`,
    );
  }
}

// checkUserId throws unless id is a uid or gid runc can apply.
export function checkUserId(field: string, id: number | undefined): void {
  if (id === undefined) return;
  if (!Number.isInteger(id) || id < 0 || id > USER_ID_MAX) {
    throw invalidArgument(`${field} ${id} is out of range: give 0 to ${USER_ID_MAX}`);
  }
}

// checkLabels bounds a label map (Create's labels, List's filter).
export function checkLabels(field: string, labels: Readonly<Record<string, string>> | undefined): void {
  if (labels === undefined) return;
  const keys = Object.keys(labels);
  checkCount(field, keys.length, LABELS_MAX_ENTRIES);
  let total = 0;
  for (const key of keys) {
    if (key === "") throw invalidArgument(`${field} has an empty key: give every label a name`);
    checkText(`${field} key`, key, LABEL_KEY_MAX_BYTES);
    checkText(`${field}[${quote(key)}]`, labels[key], LABEL_VALUE_MAX_BYTES);
    total += Buffer.byteLength(key, "utf8") + Buffer.byteLength(labels[key] as string, "utf8");
  }
  if (total > LABELS_MAX_BYTES) throw invalidArgument(`${field} take ${total} bytes, over the limit of ${LABELS_MAX_BYTES}: keep large data out of labels`);
}
