// The client's end of the worker: calls out, answers and pushes in. Every call made in one tick
// goes in one message; each call has an id and settles on its own when its answer comes. A call
// whose arguments cannot be cloned rejects alone: the batch is re-posted call by call, and the
// failing call's own check (the engine's key and value codec, run here only then) says why.

import { ClosedError } from '@cowdb/core/errors'
import type { Progress } from '@cowdb/core'
import { WorkerError, UnsupportedError } from './errors.js'
import { fromWire, type Args, type Call, type FromWorker, type Method, type OpenRequest, type Push, type Result, type Returns, type ToWorker } from './protocol.js'

type Waiter = { resolve: (v: unknown) => void; reject: (e: unknown) => void; onProgress?: (p: Progress) => void }
type Outgoing = { call: Call; transfer: ArrayBuffer[]; explain?: () => void }

/** Buffers marked for transfer, by the argument object that holds them (see transfer()). */
const marked = new WeakMap<object, ArrayBuffer[]>()

/**
 * Marks buffers inside `value`, an argument the client built itself, to be transferred to the
 * worker instead of copied. Never for a caller's own buffers: transferring detaches them.
 * Cost: O(1).
 */
export function transfer<T extends object>(value: T, buffers: ArrayBuffer[]): T {
  marked.set(value, buffers)
  return value
}

export class Connection {
  private nextId = 1
  private queue: Outgoing[] = []
  private readonly waiting = new Map<number, Waiter>()
  private idleWaiters: (() => void)[] = []
  private control: { kind: FromWorker['kind']; resolve: (m: FromWorker) => void; reject: (e: unknown) => void } | undefined
  private lost: Error | undefined

  constructor(
    private readonly worker: Worker,
    private readonly url: string | undefined,
    private readonly on: { push(p: Push): void; lost(e: Error): void },
  ) {
    worker.onmessage = (e: MessageEvent<FromWorker>) => this.receive(e.data)
    worker.onerror = (e) => {
      const err = new WorkerError(`cowdb: the worker failed${e.message ? `: ${e.message}` : ''}${this.url ? ` (${this.url})` : ''}`, this.url)
      if (this.control?.kind === 'hello') return this.control.reject(err)
      this.on.push({ kind: 'error', error: { name: err.name, message: err.message } })
    }
  }

  /**
   * Waits for the worker to load and answer. A script that fails to load (404, wrong MIME type,
   * syntax error) or that never answers within `timeoutMs` rejects with WorkerError; a browser
   * without what cowdb needs, with UnsupportedError. Resolves with the worker script's URL (as the
   * worker sees it). Cost: one round trip once the script runs.
   */
  async hello(share: boolean, timeoutMs: number): Promise<string | undefined> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new WorkerError(`cowdb: the worker${this.url ? ` at ${this.url}` : ''} did not answer within ${timeoutMs} ms; is it cowdb's worker.js (dist/worker.js of @cowdb/browser)? A bundler that does not emit it needs the \`worker\` option`, this.url)),
        timeoutMs,
      )
    })
    try {
      const answer = await Promise.race([this.request({ kind: 'hello', share }, 'hello'), timeout])
      if (answer.kind !== 'hello') return undefined
      if (answer.missing.length) {
        throw new UnsupportedError(`cowdb: this browser lacks ${answer.missing.join(', ')}; cowdb needs them (current Chrome, Edge, Firefox and Safari have them)`, answer.missing)
      }
      return answer.url
    } finally {
      clearTimeout(timer)
    }
  }

  /** Opens the database in the worker; resolves with its role. Cost: the open (recovery) or the wait for the lock. */
  async open(request: OpenRequest): Promise<'leader' | 'follower'> {
    const answer = await this.request({ kind: 'open', request }, 'opened')
    return settled(answer) as 'leader' | 'follower'
  }

  /**
   * Queues a call for this tick's message; its types come from WorkerApi. An options object (last
   * argument) holding `onProgress` gets progress pushed back by call id. `explain` runs only if
   * the arguments cannot be cloned: what it throws rejects the call (else a TypeError does).
   * Cost: one worker round trip, shared by every call made in the same tick.
   */
  call<M extends Method>(method: M, args: Args<M>, explain?: () => void): Promise<Returns<M>> {
    if (this.lost) return Promise.reject(this.lost)
    const id = this.nextId++
    let onProgress: ((p: Progress) => void) | undefined
    const last = args[args.length - 1] as { onProgress?: unknown } | undefined
    if (last !== null && typeof last === 'object' && typeof last.onProgress === 'function') {
      const { onProgress: fn, ...rest } = last
      onProgress = fn as (p: Progress) => void
      args = [...args.slice(0, -1), rest] as Args<M>
    }
    const transfer: ArrayBuffer[] = []
    for (const a of args) if (a !== null && typeof a === 'object') for (const b of marked.get(a) ?? []) if (!transfer.includes(b)) transfer.push(b)
    const call = { id, method, args } as Call
    if (onProgress) call.progress = true
    return new Promise<Returns<M>>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress })
      if (this.queue.push({ call, transfer, explain }) === 1) queueMicrotask(() => this.flush())
    })
  }

  /** Resolves once no call is waiting for its answer. Cost: none beyond the calls themselves. */
  idle(): Promise<void> {
    if (this.waiting.size === 0) return Promise.resolve()
    return new Promise((r) => this.idleWaiters.push(r))
  }

  /** Closes the database in the worker (checkpoint, files, lock); rejects with the close's error. */
  async close(): Promise<void> {
    if (this.lost) return
    settled(await this.request({ kind: 'close' }, 'closed'))
  }

  /** Ends the worker at once; every waiting call rejects with ClosedError. Cost: O(waiting calls). */
  terminate(): void {
    this.worker.terminate()
    this.fail(new ClosedError('cowdb: the database was closed'))
  }

  private request(m: ToWorker, answer: FromWorker['kind']): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      this.control = { kind: answer, resolve, reject }
      this.worker.postMessage(m)
    })
  }

  private flush(): void {
    const batch = this.queue
    this.queue = []
    try {
      this.worker.postMessage({ kind: 'calls', calls: batch.map((b) => b.call) } satisfies ToWorker, batch.flatMap((b) => b.transfer))
    } catch {
      // some argument cannot be cloned: find which, and fail that call alone
      for (const b of batch) {
        try {
          this.worker.postMessage({ kind: 'calls', calls: [b.call] } satisfies ToWorker, b.transfer)
        } catch (e) {
          const message = `cowdb: ${b.call.method}() was given an argument that cannot be sent to the worker (${(e as Error).message})`
          try {
            b.explain?.()
            this.answer(b.call.id, { ok: false, error: { name: 'TypeError', message } })
          } catch (why) {
            this.reject(b.call.id, why)
          }
        }
      }
    }
  }

  private receive(m: FromWorker): void {
    switch (m.kind) {
      case 'results':
        for (const a of m.answers) this.answer(a.id, a.result)
        return
      case 'progress':
        return this.waiting.get(m.id)?.onProgress?.(m.progress)
      case 'event':
      case 'error':
      case 'catalog':
      case 'shared':
      case 'quota':
        return this.on.push(m)
      case 'lost':
        this.fail(fromWire(m.error))
        return this.on.lost(this.lost!)
      default:
        if (this.control?.kind === m.kind) {
          const c = this.control
          this.control = undefined
          c.resolve(m)
        }
    }
  }

  private answer(id: number, r: Result): void {
    if (r.ok) this.settle(id, (w) => w.resolve(r.value))
    else this.settle(id, (w) => w.reject(fromWire(r.error)))
  }

  private reject(id: number, e: unknown): void {
    this.settle(id, (w) => w.reject(e))
  }

  private settle(id: number, how: (w: Waiter) => void): void {
    const w = this.waiting.get(id)
    if (!w) return
    this.waiting.delete(id)
    how(w)
    if (this.waiting.size === 0) for (const f of this.idleWaiters.splice(0)) f()
  }

  private fail(e: Error): void {
    this.lost ??= e
    for (const w of this.waiting.values()) w.reject(e)
    this.waiting.clear()
    this.control?.reject(e)
    this.control = undefined
    for (const f of this.idleWaiters.splice(0)) f()
  }
}

function settled(m: FromWorker): unknown {
  const r = (m as { result?: Result }).result
  if (!r) return undefined
  if (!r.ok) throw fromWire(r.error)
  return r.value
}
