// UsageError is a mistake on the command line, caught before any call
// reaches the daemon; it exits with USAGE_EXIT_CODE, apart from the daemon's
// errors.
export class UsageError extends Error {
  override name = "UsageError";
}

export const USAGE_EXIT_CODE = 2;
