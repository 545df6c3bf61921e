// The wire between the main-thread client, its worker, and the other tabs' workers. Types, the
// one method table, and the error and transfer rules: both sides import this file, nothing else.
//
// - METHODS is the only list of callable methods. The worker dispatches through it, the owner
//   reads its read/write column to know what may run again after a change of owner, and the
//   client's calls are typed from WorkerApi (Args<M>, Returns<M>: as comlink's Remote<T> derives
//   a proxy's type from the exposed object's).
// - Every message is a tagged object (`kind`). Calls carry ids; results come back by id, per call,
//   coalesced per microtask, so one slow call never holds back the others sent with it.
// - Errors cross as { name, message, slot?, pageId? } and are rebuilt with the same class.

import type { CatalogChange, ChangeEvent, Database, Key, Progress, PublishedRoots, Range, ReadOptions, WriteOptions } from '@cowdb/core'
import type { QuotaInfo } from './engine.js'
import { reviveError } from '@cowdb/core/errors'

/** 'read': may run again after a change of owner. 'write': runs at most once (handover dedupes by call id). */
export type Access = 'read' | 'write'

/**
 * Every method the worker answers. Engine methods are the engine's own (Database); the last four
 * the worker answers itself, per client (SessionApi).
 */
export const METHODS = {
  get: 'read', getMany: 'read', scan: 'read', count: 'read', diff: 'read', snapshots: 'read', branches: 'read',
  getRetention: 'read', stats: 'read', metrics: 'read', verify: 'read', space: 'read', inspect: 'read',
  openReader: 'read', closeReader: 'read',
  put: 'write', delete: 'write', batch: 'write', deleteRange: 'write', commitPlan: 'write', snapshot: 'write', dropSnapshot: 'write', restore: 'write', undo: 'write', redo: 'write',
  branch: 'write', dropBranch: 'write', setRetention: 'write', checkpoint: 'write', gc: 'write', compact: 'write',
  exportBackup: 'write', importBackup: 'write',
  tenants: 'read', createTenant: 'write', dropTenant: 'write',
  subscribe: 'read', unsubscribe: 'read', role: 'read', warm: 'read',
} as const satisfies Record<string, Access>

export type Method = keyof typeof METHODS

/** Calls the worker answers itself: they concern the calling client, not the engine. */
export interface SessionApi {
  /**
   * Starts pushing change events for `range` to the calling client, tagged `subscription`.
   * Idempotent. `since`: made again on a new owner, the generation the subscriber is complete to:
   * what it missed comes first (catch-up.ts). Resolves to the generation it is complete to now.
   */
  subscribe(subscription: number, range: Range & WriteOptions, since?: number): Promise<number>
  /** Ends a subscription of the calling client (no-op if unknown). */
  unsubscribe(subscription: number): void
  /** Whether the calling client's worker owns the files. */
  role(): 'leader' | 'follower'
  /** Publishes to the shared page cache the pages these reads walk (the client could not find one there). */
  warm(reads: WarmRead[]): void
}

/** A read the main thread could not answer from the shared page cache (shared-cache.ts). */
export type WarmRead = { at?: ReadOptions } & ({ keys: Key[] } | { range: Range; reverse: boolean; limit: number })

export type SessionMethod = keyof SessionApi
export type EngineMethod = Exclude<Method, SessionMethod>
/** The engine methods the worker runs: checked against Database at compile time. */
export type Engine = Pick<Database, EngineMethod>
/** Everything a client can call. */
export type WorkerApi = Engine & SessionApi

export type Args<M extends Method> = Parameters<WorkerApi[M]>
export type Returns<M extends Method> = Awaited<ReturnType<WorkerApi[M]>>

/** One call. `progress`: its options (last argument) get an onProgress that reports back by call id. */
export type Call = { [M in Method]: { id: number; method: M; args: Args<M>; progress?: true } }[Method]
export type Result = { ok: true; value: unknown } | { ok: false; error: WireError }
export type Answer = { id: number; result: Result }
/** The fields typed errors carry besides name and message: where a page is damaged, where in a value. */
type ErrorFields = { slot?: number; pageId?: number; path?: string; lost?: string; missing?: string[] }
export type WireError = { name: string; message: string } & ErrorFields

/** `sharedCacheBytes`: the size of the shared page cache the client wants (0: none; see client.ts). */
export type OpenRequest = { name: string; options: Record<string, unknown>; lockTimeout: number; share: boolean; sharedCacheBytes: number }

/** Client → its worker (the worker's own port). */
export type ToWorker =
  /** `share`: whether BroadcastChannel will be needed. */
  | { kind: 'hello'; share: boolean }
  | { kind: 'open'; request: OpenRequest }
  | { kind: 'calls'; calls: Call[] }
  | { kind: 'close' }

/** Pushed to a client: from its worker, or relayed from the owner through its worker. */
export type Push =
  | { kind: 'event'; subscription: number; event: ChangeEvent }
  | { kind: 'progress'; id: number; progress: Progress }
  /** A closing owner, every event out: the subscriber is complete to `generation` (for its worker, not its client). */
  | { kind: 'mark'; subscription: number; generation: number }
  /** A background failure (checkpoint, gc, a lost owner): the database's `error` event. */
  | { kind: 'error'; error: WireError }
  /** Snapshots, branches, a head's history position or retention changed: the `catalog` event. */
  | { kind: 'catalog'; change: CatalogChange }
  /** This worker owns the files now and publishes its pages here: reads may come from it (this tab only). */
  | { kind: 'shared'; buffer: SharedArrayBuffer }
  /** Storage use passed the `quotaWarning` share of the quota: the database's `quota` event. */
  | { kind: 'quota'; info: QuotaInfo }

/** Worker → its client. */
export type FromWorker =
  | Push
  /** Answers hello: the browser features the worker lacks (empty: all there), and the worker script's URL. */
  | { kind: 'hello'; missing: string[]; url?: string }
  | { kind: 'opened'; result: Result }
  | { kind: 'results'; answers: Answer[] }
  | { kind: 'closed'; result: Result }
  /** The worker can no longer serve (taking over failed): the database is closed, calls reject with `error`. */
  | { kind: 'lost'; error: WireError }

/**
 * Worker ↔ worker, on the BroadcastChannel `cowdb:<name>`. `from`/`to` are worker ids. Only the
 * worker a call is addressed to runs it; a leader announces itself with a term that grows with
 * each change of owner, so a late message from an old leader is never taken for the new one.
 */
export type ShareMessage =
  /** A follower's calls; `acked`: every id below it has its answer (the leader may forget them). */
  | { kind: 'call'; from: string; to: string; calls: Call[]; acked: number }
  | { kind: 'results'; to: string; answers: Answer[] }
  /** The addressed leader is closing and did not run these calls: the next leader gets them. */
  | { kind: 'not-run'; from: string; to: string; ids: number[] }
  | { kind: 'leader'; id: string; term: number }
  /** A new follower asks who leads. */
  | { kind: 'who' }
  /** A follower is closing: the leader drops its subscriptions and its records. */
  | { kind: 'bye'; from: string }
  /** `from`: the owner that sent it (a follower drops change events of an owner it no longer follows). */
  | { kind: 'push'; from: string; to: string; push: Push }
  | { kind: 'error'; error: WireError }
  | { kind: 'catalog'; change: CatalogChange }
  /** A follower whose page reads from shared memory wants the owner's published pages (a cache of `bytes`). */
  | { kind: 'want-pages'; from: string; bytes: number }
  /** The owner published: the roots, and the pages new since its last such message (before any answer of that flush). */
  | PagesMessage

/**
 * The owner's publish, for followers' shared caches (publisher.ts, mirror.ts). `term`: the owner's
 * (call-log.ts); page ids are unique within one owner only, so a cache holds one term's pages.
 */
export type PagesMessage = { kind: 'pages'; term: number; pageSize: number; roots: PublishedRoots; pages: [number, Uint8Array][] }

/** Serializes an error for the wire: class name, message, and the fields typed errors carry. */
export function toWire(e: unknown): WireError {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) }
  const w: WireError = { name: e.name, message: e.message }
  const f = e as ErrorFields
  if (typeof f.slot === 'number') w.slot = f.slot
  if (typeof f.pageId === 'number') w.pageId = f.pageId
  if (typeof f.path === 'string') w.path = f.path
  if (typeof f.lost === 'string') w.lost = f.lost
  if (Array.isArray(f.missing)) w.missing = f.missing
  return w
}

/** Rebuilds an error of the same class (cowdb's own, TypeError, RangeError; else an Error with that name). */
export function fromWire(w: WireError): Error {
  const { name, message, ...extra } = w
  return reviveError(name, message, extra)
}

/**
 * Buffers at least this large are transferred rather than copied, when they may be. Measured in
 * Chromium (bench: client-cost.ts), the sender pays for 10,000 buffers of 1 KiB 1.6x to 2.1x more
 * transferred than copied; for 4 KiB it depends on the run (0.8x to 8x); for 16 KiB and up a
 * transfer costs 7x to 33x less.
 */
export const TRANSFER_MIN_BYTES = 16 * 1024

/**
 * The buffers of a result that the engine made for it and nobody else holds, to transfer instead
 * of copy: an exported backup, and binary values read (from 16 KiB). A view that does not span its
 * whole buffer may share it (a page), so it is copied. Never called on a caller's arguments.
 * Cost: O(entries) type checks, no copy.
 */
export function ownedBuffers(method: Method, value: unknown): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>()
  const add = (v: unknown) => {
    if (ArrayBuffer.isView(v) && v.buffer instanceof ArrayBuffer && v.byteLength >= TRANSFER_MIN_BYTES && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength) out.add(v.buffer)
  }
  if (method === 'exportBackup' && value instanceof Uint8Array && value.buffer instanceof ArrayBuffer) out.add(value.buffer)
  else if (method === 'get') add(value)
  else if (method === 'getMany' && Array.isArray(value)) value.forEach(add)
  else if (method === 'scan' && Array.isArray(value)) for (const e of value as [unknown, unknown][]) add(e[1])
  else if (method === 'diff' && Array.isArray(value)) for (const c of value as { before?: unknown; after?: unknown }[]) (add(c.before), add(c.after))
  return [...out]
}
