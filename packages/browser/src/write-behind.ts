// The IndexedDB store's write-behind queue. The engine's page and WAL I/O is synchronous, and
// IndexedDB is not: so a flush() of the IndexedDB store only stages its bytes here, and the
// bytes become durable when the batch holding them commits, one readwrite transaction with
// durability 'strict' at a time, in order. While one transaction runs, later flushes (and Meta
// saves) gather into the next batch, so a busy writer pays one transaction per round trip, not
// one per commit (group commit, one level down).
//
// Why this keeps the engine's crash guarantees: batches commit whole or not at all, and in the
// order their flushes were made, so after a crash IndexedDB holds exactly the files as they
// were at one of the engine's flush points, with nothing of the later writes: one of the
// outcomes the engine already survives on a real file (everything flushed kept, the rest
// dropped). And nothing is acknowledged before its batch committed: `durable()` resolves only
// then, and the engine wrapper (engine.ts) waits on it before a write's promise resolves.
// A batch that fails poisons the queue: nothing after it is written, and every waiter rejects.

/** What one batch writes: file chunks (null deletes one), file sizes, and Meta rows. */
export type Batch = {
  /** `${file}\u0000${index}` → the chunk's bytes, or null to delete it. */
  chunks: Map<string, { file: string; index: number; bytes: Uint8Array | null }>
  sizes: Map<string, number>
  /** The snapshot table's rows, when a Meta save is part of this batch. */
  meta?: { head: unknown; put: { id: string }[]; del: string[] }
}

/** Writes one batch as one atomic transaction. */
export type BatchWriter = (batch: Batch) => Promise<void>

const empty = (): Batch => ({ chunks: new Map(), sizes: new Map() })

export class WriteBehind {
  private next: Batch = empty()
  private nextWaiters: { resolve: () => void; reject: (e: unknown) => void }[] = []
  private staged = false
  private running: Promise<void> | null = null
  private failure: unknown
  /** Batches committed so far (a counter for stats and tests). */
  committed = 0

  constructor(
    private readonly write: BatchWriter,
    /** Called once, with the error, when a batch fails (before any waiter hears of it). */
    private readonly onFail: (e: unknown) => void = () => {},
  ) {}

  /** The error that poisoned the queue, if one did. */
  get failed(): unknown {
    return this.failure
  }

  /** Stages chunks and the size of `file` for the next batch. Later stages of a chunk win. Cost: O(chunks). */
  stageFile(file: string, chunks: Map<number, Uint8Array | null>, size: number): void {
    this.check()
    for (const [index, bytes] of chunks) this.next.chunks.set(`${file}\u0000${index}`, { file, index, bytes })
    this.next.sizes.set(file, size)
    this.kick()
  }

  /** Stages a Meta save; resolves once the batch holding it (and all before it) committed. Cost: O(rows). */
  stageMeta(meta: NonNullable<Batch['meta']>): Promise<void> {
    this.check()
    const prev = this.next.meta
    // an earlier save in the same batch is replaced whole, but its deletions still apply
    if (prev) {
      const kept = new Set(meta.put.map((r) => r.id))
      meta = { ...meta, del: [...new Set([...prev.del, ...meta.del])].filter((id) => !kept.has(id)) }
    }
    this.next.meta = meta
    const done = this.durable()
    this.kick()
    return done
  }

  /** Resolves once everything staged so far is committed; rejects if a batch failed. Cost: O(1). */
  durable(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure)
    if (!this.staged && !this.running) return Promise.resolve()
    if (!this.staged) {
      // everything staged is in the running batch
      const running = this.running!
      return running.then(() => (this.failure !== undefined ? Promise.reject(this.failure) : undefined))
    }
    return new Promise((resolve, reject) => this.nextWaiters.push({ resolve, reject }))
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure
  }

  private kick(): void {
    this.staged = true
    if (!this.running) this.pump()
  }

  private pump(): void {
    if (!this.staged || this.failure !== undefined) return
    const batch = this.next
    const waiters = this.nextWaiters
    this.next = empty()
    this.nextWaiters = []
    this.staged = false
    this.running = this.write(batch).then(
      () => {
        this.committed++
        this.running = null
        for (const w of waiters) w.resolve()
        this.pump()
      },
      (e: unknown) => {
        this.failure = e
        this.running = null
        this.onFail(e)
        for (const w of [...waiters, ...this.nextWaiters]) w.reject(e)
        this.nextWaiters = []
      },
    )
  }
}
