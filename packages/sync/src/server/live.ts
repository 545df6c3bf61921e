// The live channel: each open stream (server-sent events) hears the head sequence of its
// database whenever it moves. Pushes on this server announce themselves at once; pushes on other
// servers sharing the Postgres arrive by LISTEN/NOTIFY; and since a notification can be missed
// (a dropped listening connection), a poll of the heads every `pollMs` catches up. Devices
// treat every message as a hint to pull: their cursor, not this channel, is the truth.

import type { ServerResponse } from 'node:http'
import { NOTIFY_CHANNEL, type SyncStore } from './store.js'

type Stream = { res: ServerResponse; sent: number }

export class LiveHub {
  private readonly streams = new Map<string, Set<Stream>>()
  private stopListening: (() => Promise<void>) | undefined
  private poll: ReturnType<typeof setInterval> | undefined
  private heartbeat: ReturnType<typeof setInterval> | undefined

  constructor(
    private readonly store: SyncStore,
    private readonly pollMs: number,
  ) {}

  /** Starts hearing NOTIFY, the poll and the heartbeat. Cost: one listening connection. */
  async start(): Promise<void> {
    this.stopListening = await this.store.sql.listen(NOTIFY_CHANNEL, (payload) => {
      const at = payload.indexOf(' ')
      if (at > 0) this.announce(payload.slice(at + 1), Number(payload.slice(0, at)))
    })
    this.poll = setInterval(() => void this.pollHeads().catch(() => {}), this.pollMs)
    this.poll.unref()
    // a comment line every 15 s keeps proxies from closing an idle stream
    this.heartbeat = setInterval(() => {
      for (const set of this.streams.values()) for (const s of set) s.res.write(': ping\n\n')
    }, 15_000)
    this.heartbeat.unref()
  }

  /** Opens a stream on `res` for database `db`, starting with its head `seq`. */
  open(db: string, res: ServerResponse, seq: number): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'x-accel-buffering': 'no' })
    const stream: Stream = { res, sent: -1 }
    let set = this.streams.get(db)
    if (!set) this.streams.set(db, (set = new Set()))
    set.add(stream)
    this.send(stream, seq)
    res.on('close', () => {
      set.delete(stream)
      if (!set.size) this.streams.delete(db)
    })
  }

  /** Tells the streams of `db` its head is now `seq` (each hears each sequence at most once). */
  announce(db: string, seq: number): void {
    if (!Number.isSafeInteger(seq)) return
    for (const s of this.streams.get(db) ?? []) this.send(s, seq)
  }

  private send(s: Stream, seq: number): void {
    if (seq <= s.sent) return
    s.sent = seq
    s.res.write(`event: head\ndata: {"seq":${seq}}\n\n`)
  }

  private async pollHeads(): Promise<void> {
    if (!this.streams.size) return
    for (const [db, seq] of await this.store.heads([...this.streams.keys()])) this.announce(db, seq)
  }

  /** Ends every stream and stops listening. */
  async stop(): Promise<void> {
    clearInterval(this.poll)
    clearInterval(this.heartbeat)
    for (const set of this.streams.values()) for (const s of set) s.res.end()
    this.streams.clear()
    await this.stopListening?.()
  }
}
