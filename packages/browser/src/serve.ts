// A worker serving one database: its own client (the page that started it) always, and the other
// tabs' workers while it owns the files. It owns them when it holds the Web Lock `cowdb:<name>`
// (the owner, or leader); otherwise it follows (share.ts) and queues for the lock, and when the
// lock comes it opens the files and leads, running what its client and the others were waiting
// for. With `share: false` a second opener waits `lockTimeout` ms for the lock, then LockedError.

import { Database, type CatalogChange, type DatabaseCatalogEvent, type DatabaseOptions, type Storage } from '@cowdb/core'
import { CallLog, openCallLog } from './call-log.js'
import type { SyncFile } from './sync-file.js'
import { missingFeatures } from './features.js'
import { queueForLock, tryLock, waitForLock } from './locks.js'
import { Owner, type Client, type OwnedEngine } from './owner.js'
import { toWire, type Call, type FromWorker, type OpenRequest, type Result, type ShareMessage, type ToWorker, type WireError } from './protocol.js'
import { Follower } from './share.js'
import { SharedReads } from './shared-reads.js'
import { openEngine } from './engine.js'

export type ServeOptions = {
  /** Opens the engine on the files. Default: Database.open (tests wrap it to inject failures). */
  openEngine?: (storage: Storage, options: DatabaseOptions) => Promise<OwnedEngine>
  /**
   * Work this worker runs on the database while it owns it, for the pages: started when it opens
   * the engine, closed before the engine closes. @cowdb/sync's worker hosts the sync this way.
   * Pages ask the owner which it hosts on the channel `cowdb-hosts:<database>`: `{ t: 'hosts?',
   * from }` is answered `{ t: 'hosts', to: from, hosts: [name] }` (an empty list without one).
   */
  host?: { name: string; start: (db: Database, database: string) => Hosted }
}

/** What `host` started: closed before the engine is. */
export type Hosted = { close(): Promise<void> }

/** How long close() waits for what `host` runs to stop before closing the engine. */
const HOSTED_CLOSE_MS = 5_000

/** Which hosts an owner runs (see ServeOptions.host). */
export type HostsMessage = { t: 'hosts?'; from: string } | { t: 'hosts'; to: string; hosts: string[] }

/** Starts serving the client that talks on `scope` (the worker's global scope). Cost: none until it speaks. */
export function serve(scope: DedicatedWorkerGlobalScope, options: ServeOptions = {}): void {
  const session = new Session(scope, options.openEngine ?? ((storage, opts) => Database.open(storage, opts)), options.host)
  scope.onmessage = (e: MessageEvent<ToWorker>) => session.receive(e.data)
}

class Session {
  private readonly me = crypto.randomUUID()
  private request: OpenRequest | undefined
  private owner: Owner | undefined
  private follower: Follower | undefined
  /** While this worker, promoted, opens the files. */
  private opening: Promise<void> | undefined
  /** Why this worker cannot serve at all (promoted, it could not open the files). */
  private broken: WireError | undefined
  private channel: BroadcastChannel | undefined
  private closing = false
  private readonly stopQueueing = new AbortController()
  /** This worker's own client. */
  private readonly local: Client
  /** Other tabs' workers as clients of this owner, by worker id. */
  private readonly peers = new Map<string, Client>()
  /** This worker's part in shared-memory reads (set at open). */
  private shared: SharedReads | undefined
  /** What `host` runs while this worker owns the database, and the channel pages ask it on. */
  private hosted: Hosted | undefined
  private hosts: BroadcastChannel | undefined

  constructor(
    private readonly scope: DedicatedWorkerGlobalScope,
    private readonly openEngine: NonNullable<ServeOptions['openEngine']>,
    private readonly host: ServeOptions['host'],
  ) {
    this.local = {
      answer: (answers, transfer) => this.post({ kind: 'results', answers }, transfer),
      push: (p) => this.post(p),
    }
  }

  receive(m: ToWorker): void {
    if (m.kind === 'hello') this.post({ kind: 'hello', missing: missingFeatures(m.share), url: (this.scope as { location?: { href?: string } }).location?.href })
    else if (m.kind === 'open') void settle(() => this.open(m.request)).then((result) => this.post({ kind: 'opened', result }))
    else if (m.kind === 'calls') this.calls(m.calls)
    else void settle(() => this.close()).then((result) => this.post({ kind: 'closed', result }))
  }

  private calls(calls: Call[]): void {
    const error = this.broken ?? (this.owner || this.follower ? undefined : { name: 'ClosedError', message: 'cowdb: the database is not open' })
    if (error) return this.local.answer(calls.map((c) => ({ id: c.id, result: { ok: false, error } })), [])
    if (this.owner) this.owner.run(this.me, calls, this.local, false)
    else this.follower!.send(calls)
  }

  private async open(req: OpenRequest): Promise<'leader' | 'follower'> {
    if (this.request) throw new TypeError('cowdb: this worker already has a database open')
    this.request = req
    const lockName = `cowdb:${req.name}`
    this.shared = new SharedReads(this.me, req.sharedCacheBytes, (m) => this.post(m), req.share ? (m) => this.channel?.postMessage(m) : undefined)
    if (!req.share) {
      this.owner = await this.lead(await waitForLock(lockName, req.lockTimeout), true)
      return 'leader'
    }
    const channel = (this.channel = new BroadcastChannel(lockName))
    channel.onmessage = (e: MessageEvent<ShareMessage>) => this.onShare(e.data)
    try {
      const release = await tryLock(lockName)
      if (release) {
        this.owner = await this.lead(release, true)
        this.announce()
        return 'leader'
      }
    } catch (e) {
      channel.close()
      throw e
    }
    this.follower = new Follower(this.me, (m) => this.channel?.postMessage(m), this.local)
    this.shared.following()
    queueForLock(lockName, this.stopQueueing.signal, (release) => this.promote(release))
    return 'follower'
  }

  /**
   * Opens the files and the engine under the lock. `fresh`: the lock came without queueing, so no
   * other tab waits on an answer and the call record starts empty. Cost: recovery (WAL replay).
   */
  private async lead(release: () => void, fresh: boolean): Promise<Owner> {
    const req = this.request!
    let log: CallLog | undefined
    let storage: Storage | undefined
    let callFiles: [SyncFile, SyncFile] | undefined
    let released = false
    const releaseOnce = () => {
      if (!released) (released = true), release()
    }
    try {
      const engine = await openEngine(req.name, req.options, {
        // the engine calls this last when it closes: the record, then the channel, then the lock
        release: () => {
          this.hosts?.close()
          this.hosts = undefined
          log?.close()
          this.channel?.close()
          this.channel = undefined
          releaseOnce()
        },
        onQuota: (info) => this.local.push({ kind: 'quota', info }),
        openDatabase: (storage, options) => this.openEngine(storage, options) as Promise<Database>,
        // pages are shared from OPFS stores only: the IndexedDB store's page reads are async
        opened: (opened) => {
          storage = opened.kind === 'opfs' ? opened.storage : undefined
          callFiles = opened.callFiles
        },
      })
      // The record lives with the pages: in OPFS files, or in the IndexedDB page store's queue.
      // Before the first forwarded call runs (the Owner below runs them), after recovery.
      if (req.share) {
        log = await this.openRecord(req.name, fresh, callFiles).catch(async (e: unknown) => {
          await engine.close().catch(() => {}) // releases the lock through the hook above
          throw e
        })
      }
      this.watch(engine)
      this.hosted = this.host?.start(engine, req.name)
      this.answerHosts(req.name)
      const owner = new Owner(engine, log, this.me)
      if (storage) this.shared!.leading(storage, owner)
      return owner
    } catch (e) {
      log?.close()
      releaseOnce()
      throw e
    }
  }

  /**
   * The owner's call record, where the pages are: the IndexedDB page store's files, else OPFS
   * files. Where OPFS cannot be opened, none: the database is shared without it, and a write in
   * flight at a change of owner may then run twice. Cost: a read and a rewrite of its live entries.
   */
  private async openRecord(name: string, fresh: boolean, callFiles: [SyncFile, SyncFile] | undefined): Promise<CallLog | undefined> {
    if (callFiles) return CallLog.load(callFiles, fresh)
    return openCallLog(name, fresh).catch((e: unknown) => (e instanceof DOMException || e instanceof TypeError ? undefined : Promise.reject(e)))
  }

  /** Answers the pages that ask which hosts this owner runs (see ServeOptions.host). */
  private answerHosts(name: string): void {
    if (typeof BroadcastChannel !== 'function') return
    const channel = (this.hosts = new BroadcastChannel(`cowdb-hosts:${name}`))
    const hosts = this.host ? [this.host.name] : []
    channel.onmessage = (e: MessageEvent<HostsMessage>) => {
      if (e.data.t === 'hosts?') channel.postMessage({ t: 'hosts', to: e.data.from, hosts } satisfies HostsMessage)
    }
  }

  /** The lock came (the owner went): lead, and run what this worker's client was waiting for. */
  private promote(release: () => void): void {
    if (this.closing) return release()
    this.opening = this.lead(release, false)
      .then(
        (owner) => {
          this.owner = owner
          const waiting = this.follower!.takeover()
          this.follower = undefined
          this.announce()
          owner.run(this.me, waiting, this.local, true)
        },
        (e: unknown) => {
          this.broken = toWire(e)
          this.follower?.fail(this.broken)
          this.follower = undefined
          this.post({ kind: 'lost', error: this.broken })
        },
      )
      .finally(() => (this.opening = undefined))
  }

  private onShare(m: ShareMessage): void {
    const owner = this.owner
    this.shared?.onShare(m)
    if (m.kind === 'pages' || m.kind === 'want-pages') return
    if (m.kind === 'call') {
      if (m.to !== this.me || !owner) return
      if (owner.isClosing) return this.channel?.postMessage({ kind: 'not-run', from: this.me, to: m.from, ids: m.calls.map((c) => c.id) } satisfies ShareMessage)
      owner.acked(m.from, m.acked)
      owner.run(m.from, m.calls, this.peer(m.from), true)
    } else if (m.kind === 'who') {
      if (owner && !owner.isClosing) this.announce()
    } else if (m.kind === 'bye') {
      owner?.forget(m.from)
      this.peers.delete(m.from)
    } else if (m.kind === 'leader' || m.kind === 'error' || m.kind === 'catalog' || m.to === this.me) {
      this.follower?.receive(m)
    }
  }

  private async close(): Promise<void> {
    this.closing = true
    this.stopQueueing.abort()
    if (this.opening) await this.opening
    if (this.follower) {
      this.follower.bye()
      this.follower = undefined
    }
    try {
      // e.g. a sync round in flight ends before the engine closes; not waited for past HOSTED_CLOSE_MS
      // (a round cut short there is one a crash could cut: sync resumes from its saved state)
      if (this.hosted) await Promise.race([this.hosted.close().catch(() => {}), new Promise((r) => setTimeout(r, HOSTED_CLOSE_MS))])
      await this.owner?.close()
    } finally {
      this.channel?.close()
      this.channel = undefined
    }
  }

  private announce(): void {
    this.channel?.postMessage({ kind: 'leader', id: this.me, term: this.owner!.term } satisfies ShareMessage)
  }

  /** Another tab's worker as a client: answers and pushes go on the channel, addressed to it. */
  private peer(id: string): Client {
    let c = this.peers.get(id)
    if (!c) {
      c = {
        answer: (answers) => this.channel?.postMessage({ kind: 'results', to: id, answers } satisfies ShareMessage),
        push: (push) => this.channel?.postMessage({ kind: 'push', from: this.me, to: id, push } satisfies ShareMessage),
      }
      this.peers.set(id, c)
    }
    return c
  }

  /** The engine's background failures (`error`) and catalog changes (`catalog`) reach this client and every follower. */
  private watch(engine: OwnedEngine): void {
    if (!(engine instanceof EventTarget)) return
    engine.addEventListener('error', (e) => {
      const error = toWire('error' in e ? e.error : e)
      this.post({ kind: 'error', error })
      this.channel?.postMessage({ kind: 'error', error } satisfies ShareMessage)
    })
    engine.addEventListener('catalog', (e) => {
      const { change, branch, id } = e as DatabaseCatalogEvent
      const c: CatalogChange = { change, ...(branch !== undefined ? { branch } : {}), ...(id !== undefined ? { id } : {}) }
      this.post({ kind: 'catalog', change: c })
      this.channel?.postMessage({ kind: 'catalog', change: c } satisfies ShareMessage)
    })
  }

  private post(m: FromWorker, transfer: ArrayBuffer[] = []): void {
    this.scope.postMessage(m, transfer)
  }
}

async function settle(run: () => Promise<unknown>): Promise<Result> {
  try {
    return { ok: true, value: await run() }
  } catch (e) {
    return { ok: false, error: toWire(e) }
  }
}

function tryTo(f: () => void): void {
  try {
    f()
  } catch {
    // closing what failed to open: the first error is the one to report
  }
}
