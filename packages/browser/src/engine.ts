// The engine as the worker runs it: a Database on the browser's storage (storage.ts), with what
// the page store needs around it.
// - IndexedDB page store: the engine acknowledges a write when its WAL flush returns, which
//   for this store only staged the bytes (write-behind.ts). So every call that writes resolves
//   only after `durable()`, and change events are delivered only then too: what a caller or a
//   subscriber hears of is on disk. If a batch fails (quota, I/O), the engine's memory holds
//   writes that never became durable: the calls waiting on them reject with the error, and
//   the engine is opened again from what IndexedDB holds (exactly the acknowledged writes), so
//   the database stays usable. Subscriptions are made again on it.
// - stats() adds `storage`: which page store, usage, quota, whether storage is persisted.
// - After writes, now and then, the storage estimate is checked: past `quotaWarning` of the
//   quota, `onQuota` hears of it (once per crossing), before writes start failing.

import { Database, type ChangeListener, type DatabaseOptions, type Range, type Storage, type WriteOptions } from '@cowdb/core'
import { openStorage, type IdbHooks, type OpenedStorage, type StorageOptions } from './storage.js'
import type { StoreKind } from './idb-meta.js'

export type EngineOptions = DatabaseOptions &
  StorageOptions & {
    /** Share of the quota past which `quota` events fire (default 0.9). */
    quotaWarning?: number
  }

/** What stats().storage reports. Unknown values are null (the browser does not say). */
export type StorageInfo = {
  /** The page store in use: OPFS sync access handles, or the IndexedDB fallback. */
  store: StoreKind
  /** Why 'auto' fell back to IndexedDB, if it did. */
  fallbackReason?: string
  /** This open created the database: nothing of it was there before. */
  created: boolean
  persisted: boolean | null
  usage: number | null
  quota: number | null
}

/** Storage use past the warning share of the quota. */
export type QuotaInfo = { usage: number; quota: number; ratio: number }

export type EngineHooks = {
  /** Runs once when the database closes (the worker releases its lock). */
  release?: () => void
  onQuota?: (info: QuotaInfo) => void
  /** Test hooks for the IndexedDB store's batch writes. */
  idb?: IdbHooks
  /** Opens the engine on the storage (default Database.open; tests wrap it to inject failures). */
  openDatabase?: (storage: Storage, options: DatabaseOptions) => Promise<Database>
  /** The engine is open on this store (again after a reset): shared-memory reads publish from OPFS stores only. */
  opened?: (opened: OpenedStorage) => void
}

/** Calls that write: with the IndexedDB store they resolve only once durable. */
const WRITES = new Set(['put', 'delete', 'batch', 'deleteRange', 'snapshot', 'dropSnapshot', 'restore', 'undo', 'redo', 'branch', 'dropBranch', 'setRetention', 'commitPlan', 'importBackup', 'exportBackup', 'transaction', 'checkpoint', 'gc', 'compact'])
const QUOTA_CHECK_MS = 1000

/**
 * Opens database `name` on the browser's storage and returns it as a Database (see the file
 * comment for what it adds). Cost: storage open + recovery (WAL replay).
 */
export async function openEngine(name: string, options: EngineOptions = {}, hooks: EngineHooks = {}): Promise<Database> {
  const { store, recover, quotaWarning = 0.9, ...dbOptions } = options
  if (typeof quotaWarning !== 'number' || !(quotaWarning > 0 && quotaWarning <= 1)) throw new TypeError('cowdb: quotaWarning is a share of the quota, in (0, 1]')
  let resetting: Promise<void> | null = null
  let broken: unknown
  let closing = false
  const idbHooks: IdbHooks = {
    io: hooks.idb?.io,
    onFail: (e) => {
      hooks.idb?.onFail?.(e)
      if (closing) return // close() reports it; there is nothing to go on with
      resetting ??= reset().then(
        () => void (resetting = null),
        (err: unknown) => void (broken = err),
      )
    },
  }

  const open = async (opts: StorageOptions): Promise<{ opened: OpenedStorage; db: Database }> => {
    const opened = await openStorage(name, opts, idbHooks)
    const own = opened.storage.release
    opened.storage.release = () => {
      own?.()
      hooks.release?.()
    }
    let db: Database
    try {
      db = await (hooks.openDatabase ?? ((st, o) => Database.open(st, o)))(opened.storage, dbOptions)
    } catch (e) {
      for (const f of [opened.storage.pages, opened.storage.wal]) f.close()
      await opened.storage.meta.close()
      own?.()
      throw e
    }
    hooks.opened?.(opened)
    return { opened, db }
  }

  let { opened, db } = await open({ store, recover })
  const subs = new Set<{ range: Range & WriteOptions; listener: ChangeListener; off?: () => void }>()

  /** A batch failed: drop the engine (its memory holds writes that never became durable) and open what IndexedDB holds. */
  async function reset(): Promise<void> {
    const old = opened
    // the old engine's queue refuses every write now; its connection can go
    void old.storage.meta.close().catch(() => {})
    const again = await open({ store: 'indexeddb' })
    opened = again.opened
    db = again.db
    for (const s of subs) s.off = await db.subscribe(s.range, gated(s.listener))
  }

  /** Delivers an event only once what it reports is durable. */
  const gated = (listener: ChangeListener): ChangeListener => {
    const durable = opened.durable
    if (!durable) return listener
    return (e) => void durable().then(() => listener(e), () => {})
  }

  let lastQuotaCheck = 0
  let warned = false
  const checkQuota = (): void => {
    const now = Date.now()
    if (!hooks.onQuota || now - lastQuotaCheck < QUOTA_CHECK_MS) return
    lastQuotaCheck = now
    void estimate().then(({ usage, quota }) => {
      if (usage === null || !quota) return
      const ratio = usage / quota
      if (ratio >= quotaWarning && !warned) hooks.onQuota!({ usage, quota, ratio })
      warned = ratio >= quotaWarning
    })
  }

  const invoke = (method: string, args: unknown[]): unknown => {
    if (broken !== undefined) return Promise.reject(broken)
    if (resetting) return resetting.then(() => invoke(method, args))
    if (method === 'close') closing = true
    if (method === 'stats') return db.stats().then(async (s) => ({ ...s, storage: await storageInfo(opened) }))
    if (method === 'subscribe') {
      const [range, listener] = args as [Range & WriteOptions, ChangeListener]
      const sub: { range: Range & WriteOptions; listener: ChangeListener; off?: () => void } = { range, listener }
      return db.subscribe(range, gated(listener)).then((off) => {
        sub.off = off
        subs.add(sub)
        return () => {
          subs.delete(sub)
          sub.off?.()
        }
      })
    }
    const fn = (db as unknown as Record<string, unknown>)[method]
    if (typeof fn !== 'function') return fn
    const result = (fn as (...a: unknown[]) => unknown).apply(db, args)
    if (!WRITES.has(method)) return result
    const durable = opened.durable
    return (result as Promise<unknown>).then(async (r) => {
      if (durable) await durable()
      checkQuota()
      return r
    })
  }

  const methods = new Map<string, (...args: unknown[]) => unknown>() // one function per method, not per call
  // the target only gives the proxy Database's prototype: `instanceof Database` / `EventTarget` hold
  return new Proxy(Object.create(Database.prototype) as Database, {
    get(_, prop) {
      if (typeof prop !== 'string') return undefined
      if (prop === 'then') return undefined // not a thenable
      const v = (db as unknown as Record<string, unknown>)[prop]
      if (typeof v !== 'function' && prop !== 'stats' && prop !== 'subscribe') return v
      let m = methods.get(prop)
      if (!m) methods.set(prop, (m = (...args: unknown[]) => invoke(prop, args)))
      return m
    },
  })
}

/** The storage estimate (usage and quota in bytes), nulls where the browser gives none. Cost: one async call. */
export async function estimate(): Promise<{ usage: number | null; quota: number | null }> {
  try {
    const e = await globalThis.navigator?.storage?.estimate?.()
    return { usage: e?.usage ?? null, quota: e?.quota ?? null }
  } catch {
    return { usage: null, quota: null }
  }
}

async function storageInfo(opened: OpenedStorage): Promise<StorageInfo> {
  let persisted: boolean | null = null
  try {
    persisted = (await globalThis.navigator?.storage?.persisted?.()) ?? null
  } catch {}
  const info: StorageInfo = { store: opened.kind, created: opened.created, persisted, ...(await estimate()) }
  if (opened.fallbackReason) info.fallbackReason = opened.fallbackReason
  return info
}
