// useScan(db, range): the entries of a key range, kept current.
import type { Key, Range, ScanOptions, Value } from '@cowdb/core'
import { queryId, useLive, type Live, type Subscribable } from './live.js'

/** A database the hook can scan and follow. */
export type ScanSource = Subscribable & { scan(range?: Range & ScanOptions): Promise<[Key, Value][]> }

/**
 * The entries in `range` (`gt`/`gte`/`lt`/`lte`, `limit` (default 1000), `reverse`, `branch`) as
 * `[key, value]` pairs in key order, scanned again after each commit that changes a key in the
 * range, from this tab or another. Writes outside the range cause no read and no render.
 * Cost: one subscription, and one scan() (O(log n + limit)) per commit that touches the range.
 */
export function useScan<T = Value>(db: ScanSource | null | undefined, range: Range & Omit<ScanOptions, 'snapshot'> = {}): Live<[Key, T][]> {
  const { limit, reverse, ...watched } = range
  return useLive(db, watched, (d) => d.scan(range) as Promise<[Key, T][]>, queryId(range))
}
