// The owner's record of the writes it ran for other tabs, so that the next owner never runs one
// twice. Before running a forwarded write the owner records "started" (by follower and call id),
// and "done" with its result once it settles. The next owner loads the record after it gets the
// Web Lock (so after the old owner's last write to it): a call marked done is answered from the
// record, a call marked started but not done is ambiguous (its owner died while running it), and
// a call not there was never run and runs now.
//
// It has to survive its owner's tab closing, not the machine crashing (then no follower is left
// to ask): plain writes through an OPFS sync access handle, no flush. On the IndexedDB page store
// the two files are chunks in that store, staged in the same write-behind queue as the pages and
// the WAL (blockSyncFile): a record staged before a write runs commits in the same batch as the
// write's WAL bytes or an earlier one, so a write that took effect is always on record. Two files take turns: the
// record is rewritten into the other one (live entries only) at each change of owner and when it
// grows past 1 MiB, and the header, written last, makes the new file the current one; a rewrite
// cut short leaves the old file current. Each record carries a checksum: a torn tail ends a read.

import { checksum32 } from '@cowdb/core'
import type { Result } from './protocol.js'
import type { SyncFile } from './sync-file.js'

export type CallState = { state: 'absent' } | { state: 'started' } | { state: 'done'; result: Result }

type Entry = { result?: Result; answeredAt?: number }
type Body = { f: string; s: number[] } | { f: string; d: number; r: Result }
type Header = { gen: number; term: number }
/** For tests: the clock, and the size at which the record is rewritten. */
export type LogOptions = { now?: () => number; compactBytes?: number }

const HEADER_BYTES = 64
const COMPACT_BYTES = 1 << 20
/** An answered call the follower never acknowledged is forgotten after this long (the follower is gone). */
export const FORGET_ANSWERED_MS = 10 * 60_000
const utf8 = new TextEncoder()
const fromUtf8 = new TextDecoder()

export class CallLog {
  private readonly calls = new Map<string, Map<number, Entry>>()
  private current: 0 | 1 = 0
  private end = HEADER_BYTES
  private gen = 0
  private closed = false

  private constructor(
    private readonly files: [SyncFile, SyncFile],
    /** Grows by one at each change of owner; leaders announce it so followers can tell old from new. */
    readonly term: number,
    private readonly opts: Required<LogOptions>,
  ) {}

  /**
   * Loads the record from its two files and starts a new term. `fresh`: no other tab can be waiting
   * for an answer (this one got the lock without queueing), so old entries are dropped.
   * Cost: one read of the current file and one rewrite of its live entries.
   */
  static load(files: [SyncFile, SyncFile], fresh: boolean, opts: LogOptions = {}): CallLog {
    const heads = files.map(readHeader)
    const pick: 0 | 1 = (heads[1]?.gen ?? -1) > (heads[0]?.gen ?? -1) ? 1 : 0
    const head = heads[pick]
    const log = new CallLog(files, (head?.term ?? 0) + 1, { now: opts.now ?? Date.now, compactBytes: opts.compactBytes ?? COMPACT_BYTES })
    log.gen = head?.gen ?? 0
    log.current = pick
    if (head && !fresh) for (const body of readBodies(files[pick])) log.apply(body)
    log.rewrite()
    return log
  }

  /** Where call `id` of follower `from` stands. Cost: O(1). */
  get(from: string, id: number): CallState {
    const e = this.calls.get(from)?.get(id)
    if (!e) return { state: 'absent' }
    return e.result ? { state: 'done', result: e.result } : { state: 'started' }
  }

  /** Records that these writes start now; call before running them. Cost: one small file write. */
  started(from: string, ids: number[]): void {
    if (ids.length) this.append({ f: from, s: ids })
  }

  /** Records a started write's result. Cost: one small file write. */
  done(from: string, id: number, result: Result): void {
    this.append({ f: from, d: id, r: result })
  }

  /** The follower has every answer below `acked`: those entries may go. Cost: O(entries of `from`). */
  forget(from: string, acked: number): void {
    const mine = this.calls.get(from)
    if (mine) for (const id of mine.keys()) if (id < acked) mine.delete(id)
  }

  /** The follower is gone: all its entries may go. Cost: O(1). */
  drop(from: string): void {
    this.calls.delete(from)
  }

  /** Closes both files (before the lock is released, so the next owner can open them). */
  close(): void {
    if (this.closed) return
    this.closed = true
    for (const f of this.files) f.close()
  }

  private apply(b: Body): void {
    let mine = this.calls.get(b.f)
    if (!mine) this.calls.set(b.f, (mine = new Map()))
    if ('s' in b) for (const id of b.s) mine.set(id, mine.get(id) ?? {})
    else mine.set(b.d, { result: b.r, answeredAt: this.opts.now() })
  }

  private append(b: Body): void {
    if (this.closed) throw new Error('cowdb: the call record is closed')
    this.apply(b)
    const bytes = frame(b)
    this.files[this.current].write(bytes, { at: this.end })
    this.end += bytes.length
    if (this.end > this.opts.compactBytes) this.rewrite()
  }

  /** Writes the live entries into the other file, header last, and makes it current. */
  private rewrite(): void {
    const cutoff = this.opts.now() - FORGET_ANSWERED_MS
    const next = (1 - this.current) as 0 | 1
    const file = this.files[next]
    file.truncate(0)
    let at = HEADER_BYTES
    for (const [f, mine] of this.calls) {
      const started: number[] = []
      for (const [id, e] of mine) {
        if (e.result && (e.answeredAt ?? 0) < cutoff) mine.delete(id)
        else if (e.result) at += file.write(frame({ f, d: id, r: e.result }), { at })
        else started.push(id)
      }
      if (started.length) at += file.write(frame({ f, s: started }), { at })
      if (!mine.size) this.calls.delete(f)
    }
    this.gen++
    file.write(frame({ gen: this.gen, term: this.term }, HEADER_BYTES), { at: 0 })
    this.files[this.current].truncate(0)
    this.current = next
    this.end = at
  }
}

/** length u32 | checksum u32 | JSON; padded to `size` when given (the header's fixed slot). */
function frame(value: Body | Header, size?: number): Uint8Array {
  const json = utf8.encode(JSON.stringify(value))
  const out = new Uint8Array(size ?? json.length + 8)
  if (json.length + 8 > out.length) throw new Error('cowdb: call record header too large')
  const v = new DataView(out.buffer)
  v.setUint32(0, json.length)
  v.setUint32(4, checksum32(json))
  out.set(json, 8)
  return out
}

/** The frame at `at`, or undefined at the end or at a torn/garbled frame. */
function unframe(file: SyncFile, at: number, size: number): { value: unknown; next: number } | undefined {
  if (at + 8 > size) return undefined
  const head = new Uint8Array(8)
  file.read(head, { at })
  const v = new DataView(head.buffer)
  const len = v.getUint32(0)
  if (len === 0 || at + 8 + len > size) return undefined
  const json = new Uint8Array(len)
  file.read(json, { at: at + 8 })
  if (checksum32(json) !== v.getUint32(4)) return undefined
  try {
    return { value: JSON.parse(fromUtf8.decode(json)), next: at + 8 + len }
  } catch {
    return undefined
  }
}

function readHeader(file: SyncFile): Header | undefined {
  const h = unframe(file, 0, Math.min(file.getSize(), HEADER_BYTES))?.value as Header | undefined
  return h && typeof h.gen === 'number' && typeof h.term === 'number' ? h : undefined
}

function* readBodies(file: SyncFile): Generator<Body> {
  const size = file.getSize()
  for (let at = HEADER_BYTES, r = unframe(file, at, size); r; at = r.next, r = unframe(file, at, size)) yield r.value as Body
}

/** Opens the record of database `name` in OPFS (worker only). Cost: two sync handle opens. */
export async function openCallLog(name: string, fresh: boolean): Promise<CallLog> {
  const root = await navigator.storage.getDirectory()
  const dir = await (await root.getDirectoryHandle('cowdb', { create: true })).getDirectoryHandle(name, { create: true })
  const open = async (file: string) => (await dir.getFileHandle(file, { create: true })).createSyncAccessHandle()
  const a = await open('calls-0')
  try {
    return CallLog.load([a, await open('calls-1')], fresh)
  } catch (e) {
    a.close()
    throw e
  }
}
