// useValue(db, key): the value of one key, kept current.
import type { Key, ReadOptions, Value, WriteOptions } from '@cowdb/core'
import { queryId, useLive, type Live, type Subscribable } from './live.js'

/** A database the hook can read one key from and follow. */
export type ValueSource = Subscribable & { get(key: Key, opts?: ReadOptions): Promise<Value | undefined> }

/**
 * The value of `key` (on `opts.branch`, default main), re-read after each commit that changes
 * it, from this tab or another: `{ status, value, error }`, `value` undefined while loading and
 * when the key is absent. Like Dexie's useLiveQuery, for one key.
 * Cost: one subscription and one get() (O(log n)) per change of the key.
 */
export function useValue<T = Value>(db: ValueSource | null | undefined, key: Key, opts: WriteOptions = {}): Live<T> {
  const range = { gte: key, lte: key, ...opts }
  return useLive(db, range, (d) => d.get(key, opts) as Promise<T>, queryId(range))
}
