// The hostile cases of ImageService's List, Inspect, Tag, Remove, Prune,
// Load and Save (issue 11), and the mistakes each makes, read from
// images.proto. Names come in kinds whose answer is known: malformed
// references (INVALID_ARGUMENT), well-formed ones no image has (NOT_FOUND),
// hostile strings (either, as they happen to parse), and the built-in
// busybox, which every fixture uses: removing it is refused without force,
// and force is never sent. A Tag target is never a usable name (it starts
// with an upper-case path component), so the suite adds no names. Load
// gets bytes that are never an image archive.
import fc from "fast-check";

import { FAILED_PRECONDITION, INVALID_ARGUMENT, NOT_FOUND, OK, type HostileCase, type Mistake, type PropertyDef, type Req } from "./case-types.js";
import { hostileString, repeat } from "./hostile-values.js";

const BUSYBOX = "berth.local/busybox:latest";
const MALFORMED = ["", "UPPER/case", "a::b", "busybox@sha256:zz", "x:tag:more", "/abs", "name:", "a".repeat(300)];
const UNKNOWN = ["example.test/none:1", "busybox:never-made", "localhost:5000/x/y@sha256:" + "0".repeat(64), "abcdef0123"];

type Kind = "malformed" | "unknown" | "hostile" | "busybox";
const named = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...MALFORMED).map((name) => ({ name, kind: "malformed" as Kind })) },
  { weight: 2, arbitrary: fc.constantFrom(...UNKNOWN).map((name) => ({ name, kind: "unknown" as Kind })) },
  { weight: 2, arbitrary: hostileString.map((name) => ({ name, kind: "hostile" as Kind })) },
  { weight: 1, arbitrary: fc.constant({ name: BUSYBOX, kind: "busybox" as Kind }) },
);

// The codes naming an image of each kind may get, for a call that needs the
// image to exist.
const LOOKUP: Record<Kind, number[]> = {
  malformed: [INVALID_ARGUMENT],
  unknown: [NOT_FOUND],
  hostile: [INVALID_ARGUMENT, NOT_FOUND],
  busybox: [OK],
};

// A kind travels beside the request, as a claim about it.
const claim = (kind: Kind, codes = LOOKUP[kind]): Mistake[] => (codes.length === 1 && codes[0] === OK ? [] : [{ why: `a ${kind} image name`, codes }]);

const imageCase = (method: string, input: string, request: Req | Req[], claims: Mistake[], extra: Partial<HostileCase> = {}): HostileCase => ({
  rpc: `ImageService/${method}`,
  input,
  request,
  claims,
  ...(claims.length === 0 && { expectOk: `${method} of the built-in busybox` }),
  ...extra,
});

// Archives that are no image: random bytes, text, an empty stream, a tar
// holding no index.json or manifest.json.
const notAnArchive = fc.oneof(
  fc.array(fc.uint8Array({ minLength: 1, maxLength: 4096 }), { maxLength: 3 }),
  fc.constant([new Uint8Array(Buffer.from("this is no archive\n".repeat(64)))]),
  fc.integer({ min: 600 * 1024, max: 2 << 20 }).map((n) => [new Uint8Array(n).fill(0x61)]),
);

export function imageProperties(runs: (n: number) => number): PropertyDef[] {
  return [
    {
      name: "ImageService List: dangling or not",
      rpc: "ImageService/List",
      arb: fc.boolean().map((dangling) => imageCase("List", "dangling", { dangling }, [])),
      numRuns: runs(4),
    },
    {
      name: "ImageService Inspect: malformed, unknown and hostile names",
      rpc: "ImageService/Inspect",
      arb: named.map(({ name, kind }) => imageCase("Inspect", "image", { image: name }, claim(kind))),
      numRuns: runs(30),
    },
    {
      name: "Tag: any source, a target that is never a name",
      rpc: "ImageService/Tag",
      arb: fc
        .tuple(named, fc.oneof(fc.constantFrom(...MALFORMED), hostileString.map((s) => `X/${s}`)))
        .map(([{ name }, target]) => imageCase("Tag", "names", { source: name, target }, [{ why: "the target is no image reference", codes: [INVALID_ARGUMENT] }])),
      numRuns: runs(30),
    },
    {
      name: "Remove: names of every kind, force off",
      rpc: "ImageService/Remove",
      arb: named.map(({ name, kind }) =>
        imageCase("Remove", "image", { image: name, force: false }, claim(kind, kind === "busybox" ? [FAILED_PRECONDITION] : LOOKUP[kind])),
      ),
      numRuns: runs(30),
    },
    {
      name: "Prune: dangling only",
      rpc: "ImageService/Prune",
      arb: fc.constant(imageCase("Prune", "all", { all: false }, [], { expectOk: "a prune of dangling images" })),
      numRuns: runs(3),
    },
    {
      name: "Load: bytes that are no image archive, the stream ended or left open",
      rpc: "ImageService/Load",
      arb: fc.tuple(notAnArchive, fc.boolean()).map(([chunks, endInput]) =>
        endInput
          ? imageCase("Load", "chunks", chunks.map((chunk) => ({ chunk })), [{ why: "the archive is no image", codes: [INVALID_ARGUMENT] }], { endInput })
          : { rpc: "ImageService/Load", input: "chunks, input left open", request: chunks.map((chunk) => ({ chunk })), endInput },
      ),
      numRuns: runs(20),
    },
    {
      name: "Save: names of every kind, none, and too many",
      rpc: "ImageService/Save",
      arb: fc.oneof(
        fc.array(named, { minLength: 1, maxLength: 3 }).map((list) => {
          const kinds = new Set(list.map((n) => n.kind));
          const codes = kinds.has("malformed") ? [INVALID_ARGUMENT] : [...new Set(list.flatMap((n) => LOOKUP[n.kind]))];
          const claims = codes.length === 1 && codes[0] === OK ? [] : [{ why: "a name no image has", codes: codes.filter((c) => c !== OK) }];
          return imageCase("Save", "images", { images: list.map((n) => n.name) }, claims);
        }),
        fc.constant(imageCase("Save", "images", { images: [] }, [{ why: "no image named", codes: [INVALID_ARGUMENT] }])),
        fc.constant(imageCase("Save", "images", { images: repeat(300, BUSYBOX) }, [{ why: "more images than the bound", codes: [INVALID_ARGUMENT] }])),
      ),
      numRuns: runs(20),
    },
  ];
}

// STORE_METHODS are the RPCs these cases judge.
export const STORE_METHODS = ["List", "Inspect", "Tag", "Remove", "Prune", "Load", "Save"];

// imageMayBlock: Load with its input left open waits for more, and Save
// streams an archive, so either may rightly outlast its deadline.
export function imageMayBlock(method: string, endInput: boolean): boolean {
  return (method === "Load" && !endInput) || method === "Save";
}
