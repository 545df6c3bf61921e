// Typed errors of the public API (docs/guide.md, "Errors"). Each has a stable `name` so that it can be
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

/** The platform lacks something cowdb needs and has no fallback for; the message (and `missing`) name it. */
export class UnsupportedError extends CowdbError {
  constructor(
    message: string,
    readonly missing: string[] = [],
  ) {
    super(message)
  }
}

/**
 * A value that cannot be stored (a function, a symbol, a WeakMap, a platform object, ...). The
 * message names the type and where it is inside the value, e.g.
 * `value.items[3].onClick is a function`. Nothing was written.
 */
export class DataCloneError extends CowdbError {}

/** Thrown by fault-injection stores to simulate an I/O failure. */
export class IOError extends CowdbError {}

/** Names of the error classes that cross a boundary, with their constructors. */
export const errorClasses: Record<string, new (message: string) => Error> = {
  TypeError,
  RangeError,
  DataCloneError,
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

/**
 * Rebuilds an error from its `name` and `message` (e.g. after postMessage): an instance of the
 * class of that name, or an Error carrying the name; `extra` fields are copied on. Cost: O(1) plus the `extra` fields.
 */
export function reviveError(name: string, message: string, extra?: Record<string, unknown>): Error {
  const Ctor = errorClasses[name] ?? Error
  const err = new Ctor(message)
  if (!(name in errorClasses)) err.name = name
  if (extra) Object.assign(err, extra)
  return err
}

/** Marks an error after which the engine stopped accepting writes (see stoppedWrites). */
const STOPPED = Symbol.for('cowdb.stoppedWrites')

/**
 * The error for a failure after which writes cannot go on safely (the outcome of the last
 * writes is unknown until the database is reopened and recovers): QuotaExceededError for a full
 * disk, else IOError, with `cause` kept. Cost: O(1).
 */
export function stoppedWrites(cause: unknown, why: string): Error {
  const Ctor = cause instanceof QuotaExceededError ? QuotaExceededError : IOError
  const e = new Ctor(`cowdb: writes stopped: ${why}; close and reopen the database to recover`, { cause })
  Object.defineProperty(e, STOPPED, { value: true })
  return e
}

/** Whether `e` came from stoppedWrites(). Cost: O(1). */
export function isStopped(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[STOPPED] === true
}

/** Throws a plain Error when `cond` is false: an invariant whose breach would corrupt data. Cost: O(1). */
export function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(`cowdb invariant violated: ${msg}`)
}
