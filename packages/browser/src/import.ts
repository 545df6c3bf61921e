// A way in for apps that already have data: copy an IndexedDB object store (and so a Dexie table,
// which is one) or a JSON Lines file into a cowdb database as ONE atomic commit, reporting
// progress. Everything is read first, on the calling thread, and written with a single batch(),
// so a bad record or a failure anywhere leaves the database as it was.
// Uses only the public client API (batch), so it works on any cowdb database.
import type { Commit, Key, Op, Progress, Value } from '@cowdb/core'

/** What the importers need of a database: one atomic batch. */
export type ImportTarget = {
  /** The database's batch(): all `ops` or none, as one commit. Cost: as the database's (O(ops log n)). */
  batch(ops: Op[]): Promise<Commit>
}

/** What an import did: records written, in one commit. */
export type ImportResult = { count: number; commit: Commit | null }

export type IndexedDBSource = {
  /** The IndexedDB database's name (a Dexie database's name). */
  database: string
  /** The object store (a Dexie table's name). */
  store: string
  /** cowdb key for a record; default: its primary key (binary keys as Uint8Array). */
  key?: (primaryKey: IDBValidKey, value: unknown) => Key
  /** The value to store; default: the record as it is. */
  value?: (value: unknown, primaryKey: IDBValidKey) => Value
}

/**
 * Copies every record of an IndexedDB object store into `db` as one atomic commit: keyed by its
 * primary key (or `source.key(primaryKey, value)`, e.g. `(k) => ['todo', k]`), valued by the
 * record (or `source.value`). `onProgress` hears `{ phase: 'read', done, total }` as records are
 * read, then `{ phase: 'commit', done: 0|1, total: 1 }`. Rejects with NotFoundError (DOMException)
 * if the store does not exist, TypeError for a record whose key cowdb cannot store, and writes
 * nothing then. The source database is only read.
 * Cost: one cursor pass over the store (values held in memory), then one batch commit.
 */
export async function importFromIndexedDB(db: ImportTarget, source: IndexedDBSource, opts: { onProgress?: (p: Progress) => void } = {}): Promise<ImportResult> {
  if (!source || typeof source.database !== 'string' || typeof source.store !== 'string') throw new TypeError('cowdb: importFromIndexedDB() takes { database, store }')
  const idb = await openExisting(source.database)
  const ops: Op[] = []
  try {
    await new Promise<void>((resolve, reject) => {
      const tx = idb.transaction(source.store, 'readonly') // NotFoundError if there is no such store
      const store = tx.objectStore(source.store)
      let total = 0
      store.count().onsuccess = (e) => (total = (e.target as IDBRequest<number>).result)
      const cursor = store.openCursor()
      cursor.onsuccess = () => {
        const c = cursor.result
        if (!c) return
        try {
          const key = source.key ? source.key(c.primaryKey, c.value) : toKey(c.primaryKey)
          ops.push({ type: 'put', key, value: source.value ? source.value(c.value, c.primaryKey) : (c.value as Value) })
          opts.onProgress?.({ phase: 'read', done: ops.length, total })
          c.continue()
        } catch (e) {
          tx.abort()
          reject(e)
        }
      }
      tx.oncomplete = () => resolve()
      tx.onerror = () => reject(tx.error)
      tx.onabort = () => reject(tx.error ?? new DOMException('the read was aborted', 'AbortError'))
    })
  } finally {
    idb.close()
  }
  return commit(db, ops, opts.onProgress)
}

export type JsonLinesOptions = {
  /** cowdb key for a parsed line; default: the line's `key` field (`{ "key": ..., "value": ... }`). */
  key?: (record: unknown, line: number) => Key
  /** The value to store; default: the line's `value` field, or the whole record when `key` is given. */
  value?: (record: unknown, line: number) => Value
  onProgress?: (p: Progress) => void
}

/**
 * Imports JSON Lines (one JSON document per line; blank lines skipped) as one atomic commit.
 * By default each line is `{ "key": ..., "value": ... }`; with `key` (and `value`), any records.
 * `input` is text, a Blob or File, a Response (e.g. `fetch('/export.jsonl')`) or a byte stream.
 * `onProgress` hears `{ phase: 'read', done, total }` in bytes (total 0 when unknown), then
 * `{ phase: 'commit', ... }`. A line that is not JSON, or has no key, rejects with a TypeError
 * naming the line, and nothing is written.
 * Cost: one pass over the input (records held in memory), then one batch commit.
 */
export async function importJsonLines(db: ImportTarget, input: string | Blob | Response | ReadableStream<Uint8Array>, opts: JsonLinesOptions = {}): Promise<ImportResult> {
  const ops: Op[] = []
  let n = 0
  const take = (text: string) => {
    n++
    if (!text.trim()) return
    let record: unknown
    try {
      record = JSON.parse(text)
    } catch (e) {
      throw new TypeError(`cowdb: line ${n} is not JSON (${(e as Error).message})`)
    }
    const key = opts.key ? opts.key(record, n) : (record as { key?: Key } | null)?.key
    if (key === undefined) throw new TypeError(`cowdb: line ${n} has no key (expected { "key": ..., "value": ... }, or pass a key function)`)
    const value = opts.value ? opts.value(record, n) : opts.key ? record : (record as { value?: Value }).value
    ops.push({ type: 'put', key, value: value as Value })
  }
  const { stream, total } = byteStream(input)
  const reader = stream.getReader()
  const decoder = new TextDecoder()
  let rest = ''
  let bytes = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    bytes += value.byteLength
    const lines = (rest + decoder.decode(value, { stream: true })).split('\n')
    rest = lines.pop()!
    for (const line of lines) take(line)
    opts.onProgress?.({ phase: 'read', done: bytes, total })
  }
  rest += decoder.decode()
  take(rest)
  return commit(db, ops, opts.onProgress)
}

/** One batch for everything read; progress before and after it. */
async function commit(db: ImportTarget, ops: Op[], onProgress?: (p: Progress) => void): Promise<ImportResult> {
  if (!ops.length) return { count: 0, commit: null }
  onProgress?.({ phase: 'commit', done: 0, total: 1 })
  const result = await db.batch(ops)
  onProgress?.({ phase: 'commit', done: 1, total: 1 })
  return { count: ops.length, commit: result }
}

/** Opens an IndexedDB database that must already exist (never creates an empty one). */
function openExisting(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name)
    req.onupgradeneeded = () => req.transaction!.abort() // it did not exist: do not create it
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error?.name === 'AbortError' ? new DOMException(`cowdb: there is no IndexedDB database '${name}'`, 'NotFoundError') : req.error)
  })
}

/** IndexedDB keys as cowdb keys: binary keys (ArrayBuffer, views) become Uint8Array. */
function toKey(k: IDBValidKey): Key {
  if (k instanceof ArrayBuffer) return new Uint8Array(k.slice(0))
  if (ArrayBuffer.isView(k)) return new Uint8Array(k.buffer.slice(k.byteOffset, k.byteOffset + k.byteLength))
  if (Array.isArray(k)) return k.map(toKey)
  return k as Key
}

/** The input as a byte stream, and its size when known. */
function byteStream(input: string | Blob | Response | ReadableStream<Uint8Array>): { stream: ReadableStream<Uint8Array>; total: number } {
  if (typeof input === 'string') {
    const blob = new Blob([input])
    return { stream: blob.stream(), total: blob.size }
  }
  if (input instanceof Blob) return { stream: input.stream(), total: input.size }
  if (input instanceof Response) {
    if (!input.body) throw new TypeError('cowdb: importJsonLines() got a Response without a body')
    return { stream: input.body, total: Number(input.headers.get('content-length') ?? 0) || 0 }
  }
  if (input instanceof ReadableStream) return { stream: input, total: 0 }
  throw new TypeError('cowdb: importJsonLines() takes text, a Blob, a Response or a ReadableStream')
}
