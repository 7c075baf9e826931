// withTimeout bounds a wait that should end by itself (a process's exit
// after SIGKILL): past ms it fails with DEADLINE_EXCEEDED saying what did
// not happen, rather than hanging the caller's queue for ever.
import { BerthError } from "../errors/berth-error.js";

// settlesWithin waits at most ms for p and says whether it settled: a grace
// period, after which the caller acts (a stop's SIGKILL, an exit published
// without the stragglers).
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p.then(() => true, () => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export async function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new BerthError("deadline_exceeded", message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
