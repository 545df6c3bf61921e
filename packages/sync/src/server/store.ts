// The server's reads and writes on Postgres: appending a change set (exactly once per push id,
// numbered by the database's counter row in the same transaction), reading the log after a
// cursor, and the state of a database at any sequence.

import { BadRequest, compareWrites, type ChangeSet, type Limits, type PullPage, type StatePage, type StateValue } from '../protocol.js'
import type { Query, Sql } from './sql.js'

/** Channel of the NOTIFY sent after each push: payload `<seq> <db>`. Only a hint to pull. */
export const NOTIFY_CHANNEL = 'cowdb_sync'
/** Rows per multi-row insert or IN list (Postgres takes at most 65,535 parameters). */
const CHUNK = 1000
/** Parts left behind by a push that never committed are dropped after this long. */
const STALE_PARTS = '1 day'

export type PushResult = { seq: number; duplicate: boolean }

export class SyncStore {
  constructor(
    readonly sql: Sql,
    private readonly limits: Limits,
  ) {}

  /**
   * Appends a change set as the database's next sequence number, or, if `pushId` was committed
   * before, returns that sequence (duplicate). Each entry is marked applied when its write is
   * later (commit HLC, then device) than the key's current one. One transaction, holding the
   * database's counter row: pushes to one database commit one at a time, in sequence order.
   * Cost: O(entries) rows and index lookups.
   */
  async push(db: string, pushId: string, cs: ChangeSet, bytes: number): Promise<PushResult> {
    const result = await this.sql.transaction(async (q) => {
      await q.query('insert into cowdb_sync_databases (db) values ($1) on conflict (db) do nothing', [db])
      const [row] = await q.query<{ seq: number }>('select seq from cowdb_sync_databases where db = $1 for update', [db])
      const [done] = await q.query<{ seq: number }>('select seq from cowdb_sync_changesets where db = $1 and push_id = $2', [db, pushId])
      if (done) return { seq: Number(done.seq), duplicate: true }
      const seq = Number(row!.seq) + 1
      const winners = await this.winners(q, db, cs.entries.map((e) => e.key))
      await q.query('insert into cowdb_sync_changesets (db, seq, push_id, device, base, entries, bytes) values ($1, $2, $3, $4, $5, $6, $7)', [
        db,
        seq,
        pushId,
        cs.device,
        cs.base,
        cs.entries.length,
        bytes,
      ])
      for (let i = 0; i < cs.entries.length; i += CHUNK) {
        const rows = cs.entries.slice(i, i + CHUNK)
        const params: unknown[] = [db, seq, cs.device]
        const values = rows.map((e, j) => {
          const w = winners.get(hex(e.key))
          const applied = !w || compareWrites({ hlc: e.hlc, device: cs.device }, w) > 0
          params.push(i + j, e.key, e.value, e.hlc, applied)
          const p = params.length
          return `($1, $2, $${p - 4}, $${p - 3}, $${p - 2}, $${p - 1}, $3, $${p})`
        })
        await q.query(`insert into cowdb_sync_entries (db, seq, idx, key, value, hlc, device, applied) values ${values.join(', ')}`, params)
      }
      await q.query('update cowdb_sync_databases set seq = $2 where db = $1', [db, seq])
      await q.query('delete from cowdb_sync_parts where db = $1 and push_id = $2', [db, pushId])
      await q.query('select pg_notify($1, $2)', [NOTIFY_CHANNEL, `${seq} ${db}`])
      return { seq, duplicate: false }
    })
    return result
  }

  /** The current write (hlc, device) of each key, by the last applied entry. */
  private async winners(q: Query, db: string, keys: Uint8Array[]): Promise<Map<string, { hlc: string; device: string }>> {
    const out = new Map<string, { hlc: string; device: string }>()
    for (let i = 0; i < keys.length; i += CHUNK) {
      const chunk = keys.slice(i, i + CHUNK)
      const list = chunk.map((_, j) => `$${j + 2}`).join(', ')
      const rows = await q.query<{ key: Uint8Array; hlc: string; device: string }>(
        `select distinct on (key) key, hlc, device from cowdb_sync_entries where db = $1 and applied and key in (${list}) order by key, seq desc`,
        [db, ...chunk],
      )
      for (const r of rows) out.set(hex(r.key), { hlc: r.hlc, device: r.device })
    }
    return out
  }

  /** Stores part `idx` of a push (a re-sent part replaces itself). Cost: one row. */
  async stagePart(db: string, pushId: string, idx: number, bytes: Uint8Array): Promise<void> {
    await this.sql.query(
      'insert into cowdb_sync_parts (db, push_id, idx, bytes) values ($1, $2, $3, $4) on conflict (db, push_id, idx) do update set bytes = excluded.bytes, created_at = now()',
      [db, pushId, idx, bytes],
    )
  }

  /** The staged parts of a push, joined; BadRequest if they are not exactly parts 0..n-1. */
  async stagedParts(db: string, pushId: string, parts: number): Promise<Uint8Array> {
    // parts at or past `parts` are left over from an attempt cut differently: ignored
    const rows = await this.sql.query<{ idx: number; bytes: Uint8Array }>('select idx, bytes from cowdb_sync_parts where db = $1 and push_id = $2 and idx < $3 order by idx', [db, pushId, parts])
    if (rows.length !== parts || rows.some((r, i) => r.idx !== i)) throw new BadRequest(`push ${pushId}: ${rows.length} of ${parts} parts arrived`)
    const total = rows.reduce((n, r) => n + r.bytes.length, 0)
    if (total > this.limits.changeSetBytes) throw new BadRequest(`a change set is at most ${this.limits.changeSetBytes} bytes`)
    const out = new Uint8Array(total)
    let at = 0
    for (const r of rows) {
      out.set(r.bytes, at)
      at += r.bytes.length
    }
    return out
  }

  /** The sequence of a push id, if it was committed (answers a retried commit of parts). */
  async committed(db: string, pushId: string): Promise<number | undefined> {
    const [row] = await this.sql.query<{ seq: number }>('select seq from cowdb_sync_changesets where db = $1 and push_id = $2', [db, pushId])
    return row ? Number(row.seq) : undefined
  }

  /** The database's last sequence number (0: nothing pushed yet). Cost: one row. */
  async head(db: string): Promise<number> {
    const [row] = await this.sql.query<{ seq: number }>('select seq from cowdb_sync_databases where db = $1', [db])
    return row ? Number(row.seq) : 0
  }

  /** Heads of several databases (the live channel's poll). */
  async heads(dbs: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>()
    for (let i = 0; i < dbs.length; i += CHUNK) {
      const chunk = dbs.slice(i, i + CHUNK)
      const rows = await this.sql.query<{ db: string; seq: number }>(`select db, seq from cowdb_sync_databases where db in (${chunk.map((_, j) => `$${j + 1}`).join(', ')})`, chunk)
      for (const r of rows) out.set(r.db, Number(r.seq))
    }
    return out
  }

  /**
   * A page of the log from entry (from, idx) at byte `offset` of its value, up to sequence
   * `upTo` (default: head), within `maxBytes` of keys and values. Cost: O(page) rows.
   */
  async pull(db: string, from: number, idx: number, offset: number, upTo: number | undefined, maxBytes: number): Promise<PullPage> {
    const head = await this.head(db)
    const end = Math.min(upTo ?? head, head)
    const page: PullPage = { head, upTo: end, sets: [], entries: [], next: null }
    let budget = Math.max(1024, Math.min(maxBytes, this.limits.pageBytes))
    // first the rows' keys and sizes, to choose what fits; then only those values
    const rows = await this.sql.query<{ seq: number; idx: number; key: Uint8Array; hlc: string; applied: boolean; len: number | null }>(
      `select seq, idx, key, hlc, applied, octet_length(value) as len
       from cowdb_sync_entries where db = $1 and (seq, idx) >= ($2, $3) and seq <= $4 order by seq, idx limit ${CHUNK}`,
      [db, from, idx, end],
    )
    const chosen: { seq: number; idx: number; key: Uint8Array; hlc: string; applied: boolean; total: number; start: number; take: number; deleted: boolean }[] = []
    for (const r of rows) {
      const seq = Number(r.seq)
      const start = chosen.length === 0 ? offset : 0
      const total = r.len === null ? 0 : Number(r.len)
      if (r.key.length + total - start > budget && chosen.length > 0) {
        page.next = { seq, idx: r.idx, offset: 0 }
        break
      }
      const take = r.len === null ? 0 : Math.min(total - start, Math.max(1, budget - r.key.length))
      chosen.push({ seq, idx: r.idx, key: r.key, hlc: r.hlc, applied: r.applied, total, start, take, deleted: r.len === null })
      budget -= r.key.length + take
      if (start + take < total) {
        page.next = { seq, idx: r.idx, offset: start + take }
        break
      }
    }
    if (!page.next && rows.length === CHUNK) {
      const last = rows.at(-1)!
      page.next = { seq: Number(last.seq), idx: last.idx + 1, offset: 0 }
    }
    const whole = chosen.filter((c) => !c.deleted && c.start === 0 && c.take === c.total)
    const values = new Map<string, Uint8Array>()
    if (whole.length) {
      const lo = whole[0]!
      const hi = whole.at(-1)!
      const got = await this.sql.query<{ seq: number; idx: number; value: Uint8Array }>(
        'select seq, idx, value from cowdb_sync_entries where db = $1 and (seq, idx) >= ($2, $3) and (seq, idx) <= ($4, $5) and value is not null',
        [db, lo.seq, lo.idx, hi.seq, hi.idx],
      )
      for (const g of got) values.set(`${Number(g.seq)}:${g.idx}`, g.value)
    }
    for (const c of chosen) {
      const value = c.deleted ? null : (values.get(`${c.seq}:${c.idx}`) ?? (await this.slice(db, c.seq, c.idx, c.start, c.take)))
      page.entries.push({ seq: c.seq, idx: c.idx, key: c.key, value, hlc: c.hlc, applied: c.applied, offset: c.start, total: c.total })
    }
    return this.withSets(db, page)
  }

  private async slice(db: string, seq: number, idx: number, start: number, n: number): Promise<Uint8Array> {
    const [row] = await this.sql.query<{ v: Uint8Array }>('select substring(value from $4 for $5) as v from cowdb_sync_entries where db = $1 and seq = $2 and idx = $3', [db, seq, idx, start + 1, n])
    return row!.v
  }

  private async withSets(db: string, page: PullPage): Promise<PullPage> {
    if (!page.entries.length) return page
    const lo = page.entries[0]!.seq
    const hi = page.entries.at(-1)!.seq
    const rows = await this.sql.query<{ seq: number; push_id: string; device: string }>('select seq, push_id, device from cowdb_sync_changesets where db = $1 and seq between $2 and $3 order by seq', [db, lo, hi])
    page.sets = rows.map((r) => ({ seq: Number(r.seq), pushId: r.push_id, device: r.device }))
    return page
  }

  /** The value of `key` at sequence `at` (default head): the last applied write at or below it. Cost: one index lookup. */
  async stateValue(db: string, key: Uint8Array, at: number | undefined): Promise<StateValue> {
    const head = await this.head(db)
    const seq = checkAt(at, head)
    const [row] = await this.sql.query<{ value: Uint8Array | null; hlc: string }>(
      'select value, hlc from cowdb_sync_entries where db = $1 and key = $2 and applied and seq <= $3 order by seq desc limit 1',
      [db, key, seq],
    )
    return { at: seq, head, value: row?.value ?? null, hlc: row?.hlc ?? null }
  }

  /**
   * The database's entries at sequence `at` (default head) in key order, from `after` (exclusive;
   * or that key again from byte `afterOffset` of its value), within [gte, lt), at most `limit`
   * keys and the page's bytes. Cost: O(page) index entries, plus deleted keys skipped.
   */
  async statePage(db: string, opts: { at?: number; gte?: Uint8Array; lt?: Uint8Array; after?: Uint8Array; afterOffset?: number; limit: number }): Promise<StatePage> {
    const head = await this.head(db)
    const at = checkAt(opts.at, head)
    const page: StatePage = { at, head, entries: [], next: null, nextOffset: 0 }
    const chosen: { key: Uint8Array; seq: number; start: number; take: number; total: number }[] = []
    let budget = this.limits.pageBytes
    let after = opts.after
    let resumeOffset = opts.afterOffset ?? 0
    choose: for (;;) {
      const params: unknown[] = [db, at]
      const conds: string[] = []
      if (opts.gte) conds.push(`key >= $${params.push(opts.gte)}`)
      if (opts.lt) conds.push(`key < $${params.push(opts.lt)}`)
      if (after) conds.push(`key ${resumeOffset > 0 ? '>=' : '>'} $${params.push(after)}`)
      // keys and sizes first; the values of what fits are read after
      const rows = await this.sql.query<{ key: Uint8Array; seq: number; len: number | null }>(
        `select distinct on (key) key, seq, octet_length(value) as len
         from cowdb_sync_entries where db = $1 and applied and seq <= $2 ${conds.map((c) => 'and ' + c).join(' ')}
         order by key, seq desc limit ${CHUNK}`,
        params,
      )
      for (const r of rows) {
        if (r.len === null) continue // deleted at that sequence
        const start = after && resumeOffset > 0 && equalBytes(r.key, after) ? resumeOffset : 0
        const total = Number(r.len)
        if (chosen.length >= opts.limit || (r.key.length + total - start > budget && chosen.length > 0)) {
          page.next = chosen.at(-1)!.key
          break choose
        }
        const take = Math.min(total - start, Math.max(1, budget - r.key.length))
        chosen.push({ key: r.key, seq: Number(r.seq), start, take, total })
        budget -= r.key.length + take
        if (start + take < total) {
          page.next = r.key
          page.nextOffset = start + take
          break choose
        }
      }
      // a full batch may end on deleted keys: go on after the last key seen
      if (rows.length < CHUNK) break
      after = rows.at(-1)!.key
      resumeOffset = 0
    }
    const values = new Map<string, Uint8Array>()
    const whole = chosen.filter((c) => c.start === 0 && c.take === c.total)
    for (let i = 0; i < whole.length; i += 300) {
      const part = whole.slice(i, i + 300)
      const params: unknown[] = [db]
      const or = part.map((c) => `(key = $${params.push(c.key)} and seq = $${params.push(c.seq)})`).join(' or ')
      for (const r of await this.sql.query<{ key: Uint8Array; seq: number; value: Uint8Array }>(`select key, seq, value from cowdb_sync_entries where db = $1 and (${or})`, params)) {
        values.set(`${hex(r.key)}:${Number(r.seq)}`, r.value)
      }
    }
    for (const c of chosen) {
      const value = values.get(`${hex(c.key)}:${c.seq}`) ?? (await this.valueSlice(db, c.key, c.seq, c.start, c.take))
      page.entries.push({ key: c.key, value, offset: c.start, total: c.total })
    }
    return page
  }

  private async valueSlice(db: string, key: Uint8Array, seq: number, start: number, n: number): Promise<Uint8Array> {
    const [row] = await this.sql.query<{ v: Uint8Array }>('select substring(value from $4 for $5) as v from cowdb_sync_entries where db = $1 and key = $2 and seq = $3 and applied', [db, key, seq, start + 1, n])
    return row!.v
  }

  /** Drops parts of pushes that never committed. Cost: one delete. */
  async dropStaleParts(): Promise<void> {
    await this.sql.query(`delete from cowdb_sync_parts where created_at < now() - interval '${STALE_PARTS}'`)
  }
}

function checkAt(at: number | undefined, head: number): number {
  if (at === undefined) return head
  if (!Number.isSafeInteger(at) || at < 0) throw new BadRequest('at must be a sequence number')
  if (at > head) throw new BadRequest(`sequence ${at} is beyond the database's head ${head}`)
  return at
}

function hex(b: Uint8Array): string {
  let s = ''
  for (const x of b) s += x.toString(16).padStart(2, '0')
  return s
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}
