// cowdb's worker with an engine that can be told to fail, for the tests of errors crossing the
// boundary (e2e/errors.spec.ts, e2e/boundary.spec.ts). A page arms a fault on the channel
// 'cowdb-test-faults': the next call of `method` on the engine of the worker that owns the
// database throws `new errorClasses[name](message)`; that worker acknowledges. `method: 'open'`
// makes the next open of the engine (a takeover) fail instead; `method: 'error-event'` makes the
// owning engine dispatch an `error` event (a background failure) with that error at once.
import { CorruptionError, Database, DatabaseErrorEvent, errorClasses } from '@cowdb/core'
import { serve } from '@cowdb/browser/serve'

type Fault = { method: string; name: string; message: string }
const armed = new Map<string, Fault>()
let owning: Database | undefined
const channel = new BroadcastChannel('cowdb-test-faults')

function error(f: Fault): Error {
  if (f.name === 'CorruptionError') return new CorruptionError(f.message, 7, 42)
  return new errorClasses[f.name]!(f.message)
}

channel.onmessage = (e: MessageEvent<Fault>) => {
  if (e.data.method === 'error-event') {
    owning?.dispatchEvent(new DatabaseErrorEvent(error(e.data)))
    return
  }
  armed.set(e.data.method, e.data)
  if (owning || e.data.method === 'open') channel.postMessage({ armed: e.data.method, message: e.data.message })
}

serve(globalThis as unknown as DedicatedWorkerGlobalScope, {
  openEngine: async (storage, options) => {
    const open = armed.get('open')
    if (open) {
      armed.delete('open')
      throw error(open)
    }
    const db = await Database.open(storage, options)
    owning = db
    return new Proxy(db, {
      get(target, prop, receiver) {
        const f = typeof prop === 'string' ? armed.get(prop) : undefined
        if (!f) {
          const v = Reflect.get(target, prop, receiver)
          return typeof v === 'function' ? v.bind(target) : v
        }
        return async () => {
          armed.delete(f.method)
          if (f.method === 'close') await target.close() // a close that fails still lets go of the files
          throw error(f)
        }
      },
    })
  },
})
