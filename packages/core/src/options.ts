// Options of a Database: what can be set at open, their defaults, and the checks of options
// that reads take.

import type { Failpoints } from './failpoints.js'
import type { Durability, OpenOptions, ScanOptions } from './types.js'

export const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024
export const WAL_CHECKPOINT_BYTES = 8 * 1024 * 1024
export const CHECKPOINT_DELAY_MS = 1000
const RELAXED_FLUSH_MS = 100
/** Most bytes the WAL file keeps after a checkpoint unless walSizeLimit is given (pacing.ts derives less for a small store). */
export const WAL_SIZE_LIMIT = 1024 * 1024
/** A commit this large is made durable by a checkpoint (shadow paging), not by the WAL. */
export const LARGE_COMMIT_BYTES = 1024 * 1024
const SCAN_DEFAULT_LIMIT = 1000
/** Entries between progress reports (and yields) of exports and imports. */
export const PROGRESS_EVERY = 8192

export type DatabaseOptions = OpenOptions & {
  /** WAL bytes that trigger a checkpoint, fixed. Unset: paced by the store's size, at most 8 MiB (space.ts). */
  walCheckpointBytes?: number
  /** Commits with more key+value bytes than this skip the WAL and commit by checkpoint. */
  largeCommitBytes?: number
  /** Delay after the last commit before a background checkpoint, and after a dropped snapshot
   * before a background gc(); 0 disables both (no background work at all). */
  checkpointDelayMs?: number
  /** Clock for snapshot ids (tests). */
  now?: () => number
  /** Failpoints the engine hits (robustness tests; see failpoints.ts). */
  failpoints?: Failpoints
}

/** The writer's and the background work's timing, with defaults filled in. */
export function timing(opts: DatabaseOptions): { walCheckpointBytes: number; adaptiveCheckpoints: boolean; checkpointDelayMs: number; largeCommitBytes: number; relaxedFlushMs: number; walSizeLimit: number | undefined } {
  return {
    walCheckpointBytes: opts.walCheckpointBytes ?? WAL_CHECKPOINT_BYTES,
    // without a fixed threshold, checkpoints are paced by the store's size (space.ts)
    adaptiveCheckpoints: opts.walCheckpointBytes === undefined,
    checkpointDelayMs: opts.checkpointDelayMs ?? CHECKPOINT_DELAY_MS,
    largeCommitBytes: opts.largeCommitBytes ?? LARGE_COMMIT_BYTES,
    relaxedFlushMs: opts.relaxedFlushMs ?? RELAXED_FLUSH_MS,
    // unset: derived from the store's size (pacing.ts)
    walSizeLimit: opts.walSizeLimit,
  }
}

/** The durability a write gets: its own, else the database's. TypeError for anything else. */
export function durabilityOf(opts: { durability?: unknown } | undefined, fallback: Durability): Durability {
  const d = opts?.durability ?? fallback
  if (d !== 'strict' && d !== 'relaxed') throw new TypeError(`cowdb: durability is 'strict' or 'relaxed', got ${JSON.stringify(d)}`)
  return d
}

/** Checks the options of open(); TypeError naming the bad one. */
export function validateOptions(opts: DatabaseOptions): void {
  if (opts === null || typeof opts !== 'object') throw new TypeError('cowdb: options must be an object')
  const ps = opts.pageSize
  if (ps !== undefined && (!Number.isInteger(ps) || ps < 512 || ps > 65536 || (ps & (ps - 1)) !== 0)) {
    throw new TypeError(`cowdb: pageSize must be a power of two from 512 to 65536, got ${ps}`)
  }
  const cb = opts.cacheBytes
  if (cb !== undefined && (typeof cb !== 'number' || !(cb >= 0))) throw new TypeError(`cowdb: cacheBytes must be a number >= 0, got ${cb}`)
  durabilityOf(opts, 'strict')
  for (const name of ['relaxedFlushMs', 'walSizeLimit', 'tenantLabels'] as const) {
    const v = opts[name]
    if (v !== undefined && (typeof v !== 'number' || !(v >= 0))) throw new TypeError(`cowdb: ${name} must be a number >= 0, got ${String(v)}`)
  }
}

/** A scan's limit and direction, checked; TypeError naming the bad one. */
export function scanOptions(o: ScanOptions, defaultLimit = SCAN_DEFAULT_LIMIT): { limit: number; reverse: boolean } {
  if (o === null || typeof o !== 'object') throw new TypeError('cowdb: scan options must be an object')
  const limit = o.limit ?? defaultLimit
  if (typeof limit !== 'number' || Number.isNaN(limit) || limit < 0) throw new TypeError(`cowdb: limit must be a number >= 0, got ${String(o.limit)}`)
  if (o.reverse !== undefined && typeof o.reverse !== 'boolean') throw new TypeError('cowdb: reverse must be a boolean')
  return { limit, reverse: o.reverse === true }
}
