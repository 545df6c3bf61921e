// Named heads (the main line and branches) and the history each keeps for undo/redo.
//
// A head is a root pointer with a name. A branch is a second head that starts at another head's
// root or a snapshot's: O(1), the two share every page until one of them writes.
// History: with retention on, every commit on a head records the root it produced as a
// 'history' snapshot. The head's cursor says which entry it is at: undo moves the cursor back
// and the head to that entry's root (as a new commit), redo moves it forward, and a new commit
// after an undo drops the entries past the cursor first (the redo branch).

import type { Ref } from './node.js'
import type { ListOptions, Retention, WriteOptions } from './types.js'

export const MAIN = 'main'

/**
 * Names and labels that start with this belong to cowdb's own packages (sync keeps its base and
 * state under `cowdb-sync/`): branches() and snapshots() leave such heads and snapshots out
 * unless asked for `{ internal: true }`, so an app lists only its own.
 */
export const INTERNAL_PREFIX = 'cowdb-'
export const isInternal = (name: string | undefined): boolean => name !== undefined && name.startsWith(INTERNAL_PREFIX)

export type Head = {
  name: string
  root: Ref | null
  /** History snapshot ids on this head, oldest first. */
  history: string[]
  /** Index in `history` of the entry the head is at (-1: no history yet). */
  cursor: number
  /** The generation of the last commit that changed this head (it began there for a new branch). */
  generation?: number
  /** Pages its commits created and root switches it made, since open (per-head metrics). */
  pagesCreated?: number
  rootUpdates?: number
}

/** Retention with defaults filled in; history is on when keepLast or keepFor is set. */
export type RetentionPolicy = Required<Retention>

export function retentionPolicy(r: Retention | undefined, base?: RetentionPolicy): RetentionPolicy {
  if (r !== undefined && (r === null || typeof r !== 'object')) throw new TypeError('cowdb: retention must be an object { keepLast?, keepFor?, keepNamed? }')
  const p = { keepLast: 0, keepFor: 0, keepNamed: true, ...base, ...r }
  if (!Number.isInteger(p.keepLast) || p.keepLast < 0) throw new TypeError(`cowdb: retention.keepLast must be an integer >= 0, got ${String(p.keepLast)}`)
  if (typeof p.keepFor !== 'number' || !(p.keepFor >= 0)) throw new TypeError(`cowdb: retention.keepFor must be milliseconds >= 0, got ${String(p.keepFor)}`)
  if (typeof p.keepNamed !== 'boolean') throw new TypeError('cowdb: retention.keepNamed must be a boolean')
  return p
}

export const historyOn = (p: RetentionPolicy): boolean => p.keepLast > 0 || p.keepFor > 0

export function validBranchName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
    throw new TypeError(`cowdb: a branch name is a non-empty string of at most 200 chars, got ${JSON.stringify(name)}`)
  }
  return name
}

/**
 * The entries a push of `id` onto `head` removes: the redo entries past the cursor, then the
 * oldest beyond keepLast and those older than keepFor (the newest entry always stays).
 * Mutates `head.history` and `head.cursor`; returns the removed ids.
 */
export function pushHistory(head: Head, id: string, createdAt: (id: string) => number, p: RetentionPolicy, now: number): string[] {
  const removed = head.history.splice(head.cursor + 1)
  head.history.push(id)
  removed.push(...head.history.splice(0, expiredCount(head.history, createdAt, p, now)))
  head.cursor = head.history.length - 1
  return removed
}

/**
 * How many of `ids` (oldest first) retention drops from the front: those beyond the newest
 * keepLast, and those older than keepFor. The newest always stays.
 */
export function expiredCount(ids: string[], createdAt: (id: string) => number, p: RetentionPolicy, now: number): number {
  let drop = 0
  if (p.keepLast > 0) drop = Math.max(0, ids.length - p.keepLast)
  if (p.keepFor > 0) while (drop < ids.length - 1 && createdAt(ids[drop]!) < now - p.keepFor) drop++
  return drop
}

/** Where a new tenant starts: empty, at another tenant's head (as it is when its record applies), or at a snapshot. */
export const enum TenantStart {
  Empty = 0,
  Head = 1,
  Snapshot = 2,
}

/** What a head-changing WAL record carries besides its change: the head, and history ids to push. */
export type Stamp = { branch: string; history: string[] }

/** Whether a listing asked for cowdb's own heads and snapshots too (ListOptions). */
export function internalOf(opts: ListOptions | undefined): boolean {
  if (opts !== undefined && (opts === null || typeof opts !== 'object')) throw new TypeError('cowdb: options must be an object')
  if (opts?.internal !== undefined && typeof opts.internal !== 'boolean') throw new TypeError('cowdb: options.internal must be a boolean')
  return opts?.internal === true
}

/** The head a call works on: `opts.branch`, checked, or main. */
export function branchOf(opts: WriteOptions | undefined): string {
  if (opts !== undefined && (opts === null || typeof opts !== 'object')) throw new TypeError('cowdb: options must be an object')
  return opts?.branch === undefined ? MAIN : validBranchName(opts.branch)
}
