// A tiny request/response RPC over postMessage, shared by the page and every engine worker, so the
// page can drive each engine with the same calls. Errors come back as strings.

type Request = { id: number; method: string; args: unknown[] }
type Response = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string }

export type Handlers = Record<string, (...args: any[]) => unknown>

/** Worker side: answers each request with its handler's (awaited) result, or the error text. */
export function serve(handlers: Handlers): void {
  self.onmessage = async (e: MessageEvent<Request>) => {
    const { id, method, args } = e.data
    try {
      const fn = handlers[method]
      if (!fn) throw new Error(`no method ${method}`)
      const value = await fn(...args)
      self.postMessage({ id, ok: true, value } satisfies Response)
    } catch (err) {
      const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
      self.postMessage({ id, ok: false, error } satisfies Response)
    }
  }
}

export type Client = { call<T = unknown>(method: string, ...args: unknown[]): Promise<T>; terminate(): void }

/** Page side: one pending promise per request id; an error event fails everything pending. */
export function connect(worker: Worker): Client {
  let next = 0
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  worker.onmessage = (e: MessageEvent<Response>) => {
    const p = pending.get(e.data.id)
    if (!p) return
    pending.delete(e.data.id)
    if (e.data.ok) p.resolve(e.data.value)
    else p.reject(new Error(e.data.error))
  }
  worker.onerror = (e) => {
    const err = new Error(`worker failed: ${e.message || 'could not load'}`)
    for (const p of pending.values()) p.reject(err)
    pending.clear()
  }
  return {
    call: <T>(method: string, ...args: unknown[]) =>
      new Promise<T>((resolve, reject) => {
        const id = next++
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
        worker.postMessage({ id, method, args } satisfies Request)
      }),
    terminate: () => worker.terminate(),
  }
}
