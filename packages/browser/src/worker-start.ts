// Knowing that the worker runs. A module worker that fails to load, or never starts (seen in
// WebKitGTK 2.50: a second cowdb worker in the same tab, after the first closed), would leave
// openDB waiting forever; the worker says `{ cowdb: 'up' }` as soon as it listens, and openDB
// gives up with a typed error if that never comes.

import { UnsupportedError } from '@cowdb/core'

/** The message a worker posts once it listens for calls. */
export const UP = { cowdb: 'up' } as const

/**
 * Resolves when `worker` posts UP; rejects with UnsupportedError if it fails to load or is not
 * up within `ms`. Cost: one listener, one timer.
 */
export function workerStarted(worker: Worker, ms = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (e?: Error) => {
      clearTimeout(timer)
      worker.removeEventListener('message', onMessage)
      worker.removeEventListener('error', onError)
      if (e) reject(e)
      else resolve()
    }
    const onMessage = (e: MessageEvent) => {
      if ((e.data as { cowdb?: unknown } | null)?.cowdb === UP.cowdb) done()
    }
    const onError = (e: ErrorEvent) => done(new UnsupportedError(`cowdb: the database worker failed to load (${e.message || 'no details'}); module workers are needed`))
    const timer = setTimeout(() => done(new UnsupportedError(`cowdb: the database worker did not start within ${ms / 1000} s`)), ms)
    worker.addEventListener('message', onMessage)
    worker.addEventListener('error', onError)
  })
}
