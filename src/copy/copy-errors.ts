// copyFailure turns a system error met inside a container's root into the
// client's error: what the path is, and what to do about it. Anything not
// listed is INTERNAL with the system's own words.
import { BerthError, failedPrecondition, internal, invalidArgument, notFound } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";

export function copyFailure(err: unknown, path: string, containerId: string): BerthError {
  if (err instanceof BerthError) return err;
  if (err instanceof Error && err.name === "AbortError") return new BerthError("canceled", `the copy of ${quote(path)} was cancelled`, { cause: err });
  const code = err instanceof Error && "code" in err ? String(err.code) : "";
  const where = `${quote(path)} in container ${quote(containerId)}`;
  switch (code) {
    case "ENOENT":
      return notFound(`no file or folder ${where}: name an existing path`);
    case "ENOTDIR":
      return invalidArgument(`a component of ${where} is not a folder`);
    case "ELOOP":
      return invalidArgument(`${where} goes through too many symbolic links (more than 40)`);
    case "ENAMETOOLONG":
      return invalidArgument(`${where} is too long a path`);
    case "EROFS":
      return failedPrecondition(`${where} is on a read-only file system (a read-only root or volume): copy into a writable folder`);
    case "EXDEV":
      return invalidArgument(`cannot hard-link ${where} across mounts: link within one volume or the root`);
    case "ENOTEMPTY":
    case "EEXIST":
      return failedPrecondition(`cannot replace ${where}: it is a non-empty folder, or changed during the copy`);
    case "EPERM":
    case "EACCES":
      return failedPrecondition(`${where} cannot be changed (${code}: an immutable file or a protected mount)`);
    case "ENOSPC":
    case "EDQUOT":
      return new BerthError("resource_exhausted", `no space left for ${where}`);
    default:
      return internal(`cannot copy ${where}: ${err instanceof Error ? err.message : String(err)}`, err);
  }
}
