// Starting the worker and knowing that it runs.
// - The worker starts from a tiny module that loads the worker module with a dynamic import():
//   in WebKitGTK 2.50, a second module worker made from the worker module's URL in the same tab
//   (after the first closed) fails to load, with an error event and no details; the same module
//   loaded by import() works, every time. Messages that arrive while it loads are held and
//   replayed to it.
// - A worker that fails to load, or never starts, would leave openDB waiting forever; the worker
//   says `{ cowdb: 'up' }` as soon as it listens, and openDB gives up with a typed error if that
//   never comes.

import { UnsupportedError } from '@cowdb/core'

/** The message a worker posts once it listens for calls. */
export const UP = { cowdb: 'up' } as const

/** Starts a module worker that runs the module at `url` (see above). Cost: one worker. */
export function startWorker(url: URL, name = 'cowdb'): Worker {
  const boot = `const held = [], hold = (e) => held.push(e)
self.addEventListener('message', hold)
import(${JSON.stringify(url.href)}).then(
  () => { self.removeEventListener('message', hold); for (const e of held) self.dispatchEvent(new MessageEvent('message', { data: e.data, ports: [...e.ports] })) },
  (e) => postMessage({ cowdb: 'failed', message: String(e && e.message || e) }))`
  const src = URL.createObjectURL(new Blob([boot], { type: 'text/javascript' }))
  try {
    return new Worker(src, { type: 'module', name })
  } finally {
    // the worker has fetched it (or will from this tab's blob store); no need to keep the URL alive
    setTimeout(() => URL.revokeObjectURL(src), 60_000)
  }
}

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
      const m = e.data as { cowdb?: unknown; message?: string } | null
      if (m?.cowdb === UP.cowdb) done()
      else if (m?.cowdb === 'failed') done(new UnsupportedError(`cowdb: the database worker failed to load (${m.message}); module workers are needed`))
    }
    const onError = (e: ErrorEvent) => done(new UnsupportedError(`cowdb: the database worker failed to load (${e.message || 'no details'}); module workers are needed`))
    const timer = setTimeout(() => done(new UnsupportedError(`cowdb: the database worker did not start within ${ms / 1000} s`)), ms)
    worker.addEventListener('message', onMessage)
    worker.addEventListener('error', onError)
  })
}
