// The Web Lock that makes one worker the owner of a database's files. Held for as long as the
// database is open: the lock callback's promise resolves only when `release` is called, and the
// browser releases it on its own when the worker goes (closed tab, crash).

import { LockedError } from '@cowdb/core/errors'

/** Waits up to `timeoutMs` for the lock (share: false); resolves with its release, or LockedError. */
export function waitForLock(name: string, timeoutMs: number): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const ctl = new AbortController()
    const timer = setTimeout(() => ctl.abort(), timeoutMs)
    navigator.locks
      .request(name, { mode: 'exclusive', signal: ctl.signal }, () => {
        clearTimeout(timer)
        return new Promise<void>((release) => resolve(release))
      })
      .catch((e: unknown) => {
        clearTimeout(timer)
        const db = name.replace(/^cowdb:/, '')
        reject(e instanceof DOMException && e.name === 'AbortError' ? new LockedError(`cowdb: '${db}' is open in another tab or worker (waited ${timeoutMs} ms)`) : e)
      })
  })
}

/**
 * Takes the lock if nobody holds it and nobody queues for it; undefined otherwise. Getting it this
 * way means no other worker of this database is alive (each one holds or queues for the lock).
 */
export function tryLock(name: string): Promise<(() => void) | undefined> {
  return new Promise((resolve, reject) => {
    navigator.locks
      .request(name, { mode: 'exclusive', ifAvailable: true }, (lock) => {
        if (!lock) return resolve(undefined)
        return new Promise<void>((release) => resolve(release))
      })
      .catch(reject)
  })
}

/**
 * Queues for the lock; `granted` runs with its release when it comes. Aborting `signal` drops the
 * request while it waits (a follower closing); once granted, the lock is `granted`'s to release.
 */
export function queueForLock(name: string, signal: AbortSignal, granted: (release: () => void) => void): void {
  navigator.locks
    .request(name, { mode: 'exclusive', signal }, () => new Promise<void>((release) => (signal.aborted ? release() : granted(release))))
    .catch(() => {}) // aborted while queued
}
