// Point-in-time reads of a synced database, straight from the server: the value of a key, or
// the entries of a range, as they were at any server sequence. For `dbctl --sync-url`, the
// playground, and restoring a fresh copy.

import { compareKeys, decodeKey, decodeValue, encodeKey, type Key, type Range, type Value } from '@cowdb/core'
import { dbUrl, type TokenSource } from './http.js'
import type { SyncDatabase } from './local.js'
import { fetchHead, stateEntries, stateValue } from './transfer.js'

export type AtOptions = { url: string; token: TokenSource; fetch?: typeof fetch }

const remoteOf = (o: AtOptions) => ({ url: dbUrl(o.url), token: o.token, ...(o.fetch ? { fetch: o.fetch } : {}) })

/** The database's head sequence on the server. Cost: one round trip. */
export async function headSeq(opts: AtOptions): Promise<number> {
  return (await fetchHead(remoteOf(opts))).seq
}

/**
 * The value of `key` at server sequence `at` (default: the head), undefined if it was absent or
 * deleted then; with the sequence read and the commit HLC that wrote it. Cost: one round trip.
 */
export async function pointInTime(opts: AtOptions & { key: Key; at?: number }): Promise<{ value: Value | undefined; at: number; head: number; hlc: string | null }> {
  const r = await stateValue(remoteOf(opts), encodeKey(opts.key), opts.at)
  return { value: r.value === null ? undefined : decodeValue(r.value), at: r.at, head: r.head, hlc: r.hlc }
}

/** The entries of a range at sequence `at` (default: the head), in key order. Cost: O(entries) transferred, in pages. */
export async function* scanAt(opts: AtOptions & Range & { at?: number; prefix?: string; limit?: number }): AsyncGenerator<[Key, Value]> {
  if (opts.prefix !== undefined && (opts.gt !== undefined || opts.gte !== undefined || opts.lt !== undefined || opts.lte !== undefined)) {
    throw new TypeError('cowdb-sync: give prefix or a range, not both')
  }
  // the server takes [gte, lt) on key bytes; gt and lte are filtered here
  const gte = opts.prefix !== undefined ? opts.prefix : (opts.gte ?? opts.gt)
  const lt = opts.prefix !== undefined ? opts.prefix + '\uffff' : (opts.lt ?? undefined)
  let left = opts.limit ?? Infinity
  const gtBytes = opts.gt !== undefined ? encodeKey(opts.gt) : undefined
  const lteBytes = opts.lte !== undefined ? encodeKey(opts.lte) : undefined
  for await (const e of stateEntries(remoteOf(opts), {
    ...(opts.at !== undefined ? { at: opts.at } : {}),
    ...(gte !== undefined ? { gte: encodeKey(gte) } : {}),
    ...(lt !== undefined ? { lt: encodeKey(lt) } : {}),
  })) {
    if (gtBytes && compareKeys(e.key, gtBytes) <= 0) continue
    if (lteBytes && compareKeys(e.key, lteBytes) > 0) return
    if (opts.prefix !== undefined && !(typeof decodeKey(e.key) === 'string' && (decodeKey(e.key) as string).startsWith(opts.prefix))) continue
    yield [decodeKey(e.key), decodeValue(e.value)]
    if (--left <= 0) return
  }
}

/**
 * Writes the state at sequence `at` (default: the head) into `db`'s main head, replacing its
 * contents (a range delete, then one batch): a copy of the past to inspect or recover from. (A device that
 * should go on syncing just calls sync() on an empty database: it restores the head itself.)
 * Cost: O(entries).
 */
export async function restoreFrom(db: Pick<SyncDatabase, 'batch' | 'deleteRange'>, opts: AtOptions & { at?: number }): Promise<{ at: number; entries: number }> {
  const ops: { type: 'put'; key: Key; value: Value }[] = []
  let at = opts.at ?? 0
  for await (const e of stateEntries(remoteOf(opts), opts.at !== undefined ? { at: opts.at } : {}, (seq) => (at = seq))) {
    ops.push({ type: 'put', key: decodeKey(e.key), value: decodeValue(e.value) })
  }
  await db.deleteRange({})
  if (ops.length) await db.batch(ops)
  return { at, entries: ops.length }
}
