// Sync run by the worker that owns a browser database, not by a page.
//
// In a browser, the worker that owns the database's files (the owner tab's) hosts the sync: it
// runs the engine on its own Database, so merges decode there and never on a page's main thread,
// and the engine's reads and writes go to the engine without a message. The pages' sync() handles
// mirror it (runner.ts: the host's engine holds the runner lock, and the handles are standbys that
// never run themselves) and send it syncNow(), undo() and redo().
//
// How a page's sync() reaches the host, on a BroadcastChannel per database (`cowdb-sync-host:<name>`):
//   page → host   start   { from, remote, options }  the options that can cross (no functions)
//   host → page   hosting { to, remote }            the host runs (or already ran) that remote
//   host → pages  up                                a new owner's host: say start again
//   host → pages  ask     { id, remote, what, args } a token, or a conflict's resolution, from the
//   page → host   answer  { id, ok, value | error }  pages whose handle has the function
//   page → host   detach  { from, remote }          a handle stopped; the last one stops the engine
// When the owner's tab closes, its worker (and the runner lock) go; the next owner's host says
// `up`, the pages' handles say `start` again, and the engine resumes from the saved sync state.
// A page whose worker hosts nothing (a custom worker of another build) hears no `hosting` and
// runs the sync itself, as in Node.

import { SyncOfflineError, type TokenSource } from './http.js'
import type { SyncDatabase } from './local.js'
import { browserName, mirrorOnly, runOnce, type Engine } from './runner.js'
import type { Resolver, SyncHandle, SyncOptions } from './engine.js'
import type { Key, Value } from '@cowdb/core'

/** The options a page's handle sends to the host: the ones with no function in them. */
export type HostedOptions = Pick<SyncOptions, 'url' | 'auto' | 'live' | 'intervalMs' | 'debounceMs' | 'backoff' | 'partBytes' | 'remote'> & {
  /** The token, when the page has a string; else the host asks the pages. */
  token?: string
  /** Whether a page has a resolver to ask. */
  resolver: boolean
}

type Message =
  | { t: 'start'; from: string; remote: string; options: HostedOptions }
  | { t: 'hosting'; to: string; remote: string }
  | { t: 'up' }
  | { t: 'ask'; id: string; remote: string; what: 'token' }
  | { t: 'ask'; id: string; remote: string; what: 'resolve'; args: [Key, Value | undefined, Value | undefined, Value | undefined] }
  | { t: 'answer'; id: string; ok: true; value: unknown }
  | { t: 'answer'; id: string; ok: false; error: string }
  | { t: 'detach'; from: string; remote: string }

/** How long the host waits for a page to answer (a token, a resolution) before the round fails and is retried. */
const ASK_MS = 30_000
/** How long a page waits for the owner to say what it hosts (no owner answers while a tab takes over) before running the sync itself. */
const HOSTING_MS = 5_000

const channelName = (name: string) => `cowdb-sync-host:${name}`

/** Makes the engine a host runs (engine.ts; passed in so this file does not import the engine). */
export type MakeEngine = (db: SyncDatabase, opts: SyncOptions) => Engine & { readonly remoteName: string }

/** The worker's side: hosts the sync of the database it owns. */
export class SyncHost {
  private readonly channel: BroadcastChannel
  private readonly hosted = new Map<string, { handle: Promise<SyncHandle>; users: Set<string> }>()
  private readonly asked = new Map<string, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>()
  private closed = false

  /**
   * Hosts the sync of `db`, the browser database `name` this worker owns: from now on until
   * close(). Cost: one channel; an engine per remote a page asks for.
   */
  constructor(
    private readonly db: SyncDatabase,
    private readonly name: string,
    private readonly makeEngine: MakeEngine,
  ) {
    this.channel = new BroadcastChannel(channelName(name))
    this.channel.onmessage = (e: MessageEvent<Message>) => this.receive(e.data)
    this.post({ t: 'up' })
  }

  /** Stops every engine it runs (a round in flight finishes first), then leaves the channel. Cost: as SyncHandle.stop. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const handles = [...this.hosted.values()].map((h) => h.handle)
    this.hosted.clear()
    for (const h of handles) await h.then((x) => x.stop()).catch(() => {})
    for (const a of this.asked.values()) a.reject(new Error('cowdb-sync: the worker stopped hosting'))
    this.channel.close()
  }

  private receive(m: Message): void {
    if (this.closed) return
    if (m.t === 'start') this.start(m.from, m.remote, m.options)
    else if (m.t === 'detach') void this.detach(m.from, m.remote)
    else if (m.t === 'answer') {
      const a = this.asked.get(m.id)
      if (!a) return // another page answered first
      this.asked.delete(m.id)
      if (m.ok) a.resolve(m.value)
      else a.reject(new Error(`cowdb-sync: the page failed: ${m.error}`))
    }
  }

  private start(from: string, remote: string, options: HostedOptions): void {
    let hosted = this.hosted.get(remote)
    if (!hosted) {
      const { token, resolver, ...rest } = options
      const opts: SyncOptions = {
        ...rest,
        token: token ?? (() => this.ask(remote, 'token') as Promise<string>),
        ...(resolver ? { resolve: ((...args) => this.ask(remote, 'resolve', args)) as Resolver } : {}),
      }
      const engine = this.makeEngine(this.db, opts)
      hosted = { handle: runOnce(this.db, engine.remoteName, engine, this.name), users: new Set() }
      this.hosted.set(remote, hosted)
      hosted.handle.catch(() => this.hosted.get(remote) === hosted && this.hosted.delete(remote))
    }
    hosted.users.add(from)
    this.post({ t: 'hosting', to: from, remote })
  }

  private async detach(from: string, remote: string): Promise<void> {
    const hosted = this.hosted.get(remote)
    if (!hosted?.users.delete(from) || hosted.users.size) return
    this.hosted.delete(remote)
    await hosted.handle.then((h) => h.stop()).catch(() => {})
  }

  /** Asks the pages for a token or a resolution; the first answer counts. */
  private ask(remote: string, what: 'token' | 'resolve', args?: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = crypto.randomUUID()
      const timer = setTimeout(() => {
        this.asked.delete(id)
        reject(new SyncOfflineError(`cowdb-sync: no page answered for a ${what === 'token' ? 'token' : "conflict's resolution"} (retried)`))
      }, ASK_MS)
      const done = <T>(f: (v: T) => void) => (v: T) => (clearTimeout(timer), f(v))
      this.asked.set(id, { resolve: done(resolve), reject: done(reject) })
      this.post(what === 'token' ? { t: 'ask', id, remote, what } : { t: 'ask', id, remote, what, args: args as [Key, Value, Value, Value] })
    })
  }

  private post(m: Message): void {
    this.channel.postMessage(m)
  }
}

/**
 * The page's side: when `db` is a browser database whose worker hosts sync, asks it to run `opts`
 * and returns a handle that mirrors it; undefined when the sync must run here instead (not a
 * browser database, options that cannot cross to the worker, `worker: false`, or no host heard).
 * Cost: one message, then one per runner event.
 */
export async function attach(db: SyncDatabase, opts: SyncOptions, remote: string, engine: Engine): Promise<SyncHandle | undefined> {
  const name = browserName(db)
  if (name === undefined || typeof BroadcastChannel !== 'function' || typeof (db as { role?: unknown }).role !== 'function') return undefined
  if (opts.worker === false || opts.fetch || opts.now || opts.local) return undefined
  const id = crypto.randomUUID()
  if (!(await ownerHosts(name, id, 'sync'))) return undefined
  const token: TokenSource = opts.token
  const options: HostedOptions = {
    url: opts.url,
    ...(opts.remote !== undefined ? { remote: opts.remote } : {}),
    ...pick(opts, ['auto', 'live', 'intervalMs', 'debounceMs', 'backoff', 'partBytes']),
    ...(typeof token === 'string' ? { token } : {}),
    resolver: typeof opts.resolve === 'function',
  }
  const channel = new BroadcastChannel(channelName(name))
  const send = () => channel.postMessage({ t: 'start', from: id, remote, options } satisfies Message)
  let hosting!: () => void
  const heard = new Promise<void>((r) => (hosting = r))
  channel.onmessage = (e: MessageEvent<Message>) => {
    const m = e.data
    if (m.t === 'up') send()
    else if (m.t === 'hosting' && m.to === id) hosting()
    else if (m.t === 'ask' && m.remote === remote) {
      const f = m.what === 'token' ? (typeof token === 'function' ? () => token() : undefined) : opts.resolve && (() => opts.resolve!(...m.args))
      if (!f) return
      Promise.resolve()
        .then(f)
        .then(
          (value) => channel.postMessage({ t: 'answer', id: m.id, ok: true, value } satisfies Message),
          (e: unknown) => channel.postMessage({ t: 'answer', id: m.id, ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) } satisfies Message),
        )
    }
  }
  // the mirror first, so that it hears the runner's first status
  let hosted = false
  const handle = mirrorOnly(db, remote, engine, () => {
    if (hosted) channel.postMessage({ t: 'detach', from: id, remote } satisfies Message)
    channel.close()
  })
  send()
  let timer: ReturnType<typeof setTimeout> | undefined
  hosted = await Promise.race([heard.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), HOSTING_MS)))])
  clearTimeout(timer)
  if (hosted) return handle
  await handle.stop()
  return undefined
}

/** Whether the owner of database `name` hosts `what` (@cowdb/browser's serve answers `hosts?`); false when no owner answers in time. */
async function ownerHosts(name: string, id: string, what: string): Promise<boolean> {
  const channel = new BroadcastChannel(`cowdb-hosts:${name}`)
  try {
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), HOSTING_MS)
      channel.onmessage = (e: MessageEvent<{ t: string; to?: string; hosts?: string[] }>) => {
        if (e.data.t !== 'hosts' || e.data.to !== id) return
        clearTimeout(timer)
        resolve(e.data.hosts?.includes(what) ?? false)
      }
      channel.postMessage({ t: 'hosts?', from: id })
    })
  } finally {
    channel.close()
  }
}

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {}
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k]
  return out
}
