// The shapes the hostile suite's gRPC leg shares: a generated case, the
// mistakes it makes (each with the status codes that would report it), the
// case judged and ready to send, and a property of cases.
import type fc from "fast-check";

export const OK = 0;
export const INVALID_ARGUMENT = 3;
export const NOT_FOUND = 5;
export const ALREADY_EXISTS = 6;
export const FAILED_PRECONDITION = 9;
export const ABORTED = 10;
export const OUT_OF_RANGE = 11;
export const PERMISSION_DENIED = 7;
// REFUSED: the request is a client's mistake that only the host or the
// runtime can reveal; any code that blames the request will do.
export const REFUSED = [INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION];

export interface Mistake {
  why: string;
  codes: number[];
}

// HostileCase is one generated call. request may hold Refs (world.ts).
export interface HostileCase {
  rpc: string;
  input: string;
  request: unknown;
  raw?: boolean;
  endInput?: boolean;
  namespace?: string;
  // claims are mistakes the generator knows it made (a broken spec).
  claims?: Mistake[];
  // expectOk says why this request is valid and must succeed.
  expectOk?: string;
}

// Judged is a case ready to send, with what its answer must be.
export interface Judged {
  rpc: string;
  service: string;
  method: string;
  input: string;
  request: unknown;
  raw: boolean;
  endInput: boolean;
  namespace: string;
  mistakes: Mistake[];
  expectOk?: string;
  // mayBlock: the call may rightly wait out its deadline (Wait on a live
  // process, streams that follow).
  mayBlock: boolean;
  // big: the request is large enough that RESOURCE_EXHAUSTED (a size
  // limit) is a proper answer.
  big: boolean;
  deadlineMs: number;
  streamMs: number;
}

export const UNARY_DEADLINE_MS = 5000;
export const WAIT_DEADLINE_MS = 1000;
export const STREAM_MS = 300;
export const BIG_BYTES = 64 * 1024;

export type Req = Record<string, unknown>;

export interface PropertyDef {
  name: string;
  rpc: string;
  arb: fc.Arbitrary<HostileCase>;
  numRuns: number;
}
