// The one mechanism behind every hook: subscribe to a key range of a cowdb database, read, and
// read again after each commit that changed something in the range (a write from this tab, from
// another tab, an undo or a restore alike). The subscription starts before the first read, so no
// commit falls between them; of several reads in flight, only the latest one's result is kept.
import { useEffect, useState } from 'react'
import type { ChangeListener, Range, WriteOptions } from '@cowdb/core'

/** What a hook returns: `status` is 'loading' until the first read, 'error' after a failed one. */
export type Live<T> = { status: 'loading' | 'ready' | 'error'; value: T | undefined; error: Error | undefined }

/** The part of a cowdb database (browser, Node or core) the hooks use. */
export type Subscribable = {
  /** The database's subscribe(): `listener` after each commit changing `range`; resolves to the end. Cost: as the database's. */
  subscribe(range: Range & WriteOptions, listener: ChangeListener): Promise<() => void>
}

const LOADING: Live<never> = { status: 'loading', value: undefined, error: undefined }

/**
 * Keeps `read(db)` current: runs it, then again after each commit that changes `range`.
 * `id` identifies the query (range, options): a new id starts over. `db` may be null or
 * undefined while it opens (status 'loading').
 * Cost: one subscription (a range check per changed key in the worker) and one read per change.
 */
export function useLive<D extends Subscribable, T>(db: D | null | undefined, range: Range & WriteOptions, read: (db: D) => Promise<T>, id: string): Live<T> {
  const [state, setState] = useState<{ for: unknown; live: Live<T> }>({ for: undefined, live: LOADING })
  useEffect(() => {
    if (!db) return
    let ended = false
    let latest = 0
    let unsubscribe: (() => void) | undefined
    const refresh = () => {
      const n = ++latest
      read(db).then(
        (value) => !ended && n === latest && setState({ for: db, live: { status: 'ready', value, error: undefined } }),
        (error: unknown) => !ended && n === latest && setState({ for: db, live: { status: 'error', value: undefined, error: error instanceof Error ? error : new Error(String(error)) } }),
      )
    }
    db.subscribe(range, refresh).then(
      (off) => {
        if (ended) off()
        else {
          unsubscribe = off
          refresh()
        }
      },
      (error: unknown) => !ended && setState({ for: db, live: { status: 'error', value: undefined, error: error instanceof Error ? error : new Error(String(error)) } }),
    )
    return () => {
      ended = true
      unsubscribe?.()
      setState({ for: undefined, live: LOADING })
    }
    // `id` stands for `range` and `read`, which callers rebuild on every render
  }, [db, id])
  return db && state.for === db ? state.live : LOADING
}

/** A stable text for a key or range: Uint8Arrays as hex, arrays and objects as JSON. Cost: O(size). */
export function queryId(query: unknown): string {
  return JSON.stringify(query, (_k, v: unknown) => (v instanceof Uint8Array ? { $bytes: Array.from(v, (b) => b.toString(16).padStart(2, '0')).join('') } : v))
}
