// Typed errors of the public contract (API.md). Each has a stable `name` so that it can be
// rebuilt on the other side of a worker boundary or a process boundary.

/** Base of cowdb's own errors; `name` is the stable class name. */
export class CowdbError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
  }
}

/** An optimistic transaction read something that another commit changed. */
export class ConflictError extends CowdbError {}

/** A page failed its checksum, id or type check. `pageId`/`slot` name where. */
export class CorruptionError extends CowdbError {
  constructor(message: string, readonly slot?: number, readonly pageId?: number) {
    super(message)
  }
}

/** Storage is full. Nothing committed is lost; the database stays usable. */
export class QuotaExceededError extends CowdbError {}

/** A snapshot id (or branch name) that does not exist. */
export class SnapshotNotFoundError extends CowdbError {}

/** The database (or an iterator, or a transaction) is closed. */
export class ClosedError extends CowdbError {}

/** Another process or tab holds the store. */
export class LockedError extends CowdbError {}

/**
 * Part of a store is gone while the rest is there (a browser cleared one kind of site data):
 * opening it would give a silently wrong or empty database. `lost` names what is gone; the
 * message says what can be recovered and how.
 */
export class StorageLostError extends CowdbError {
  constructor(message: string, readonly lost?: 'pages' | 'snapshot-table') {
    super(message)
  }
}

/** This platform lacks something cowdb needs and has no fallback for; the message names it. */
export class UnsupportedError extends CowdbError {}

/** Thrown by fault-injection stores to simulate an I/O failure. */
export class IOError extends CowdbError {}

/** Names of the error classes that cross a boundary, with their constructors. */
export const errorClasses: Record<string, new (message: string) => Error> = {
  TypeError,
  RangeError,
  ConflictError,
  CorruptionError,
  QuotaExceededError,
  SnapshotNotFoundError,
  ClosedError,
  LockedError,
  IOError,
  StorageLostError,
  UnsupportedError,
}

/** Rebuilds an error from its `name` and `message` (e.g. after postMessage). */
export function reviveError(name: string, message: string, extra?: Record<string, unknown>): Error {
  const Ctor = errorClasses[name] ?? Error
  const err = new Ctor(message)
  if (!(name in errorClasses)) err.name = name
  if (extra) Object.assign(err, extra)
  return err
}

/** Throws a plain Error when `cond` is false: an invariant whose breach would corrupt data. */
export function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(`cowdb invariant violated: ${msg}`)
}
