// The error dbctl reports with its usage text and exit code 2: the command line was wrong, and
// nothing was read or written.

/** A bad command line (unknown command, a missing or malformed option). */
export class UsageError extends Error {
  override name = 'UsageError'
}
