// The server's contract at the HTTP level: refused requests (401, 403, 413, 400) change
// nothing, a push id appends once however often and however concurrently it is sent, parts
// commit in any arrival order, pull pages slice large values, and the state at any sequence.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeKey, encodeValue } from '@cowdb/core'
import { decodePullPage, decodeStatePage, decodeStateValue, encodeChangeSet, sha256Hex, toBase64Url, type Entry } from '../protocol.js'
import { freshName, startServer, type TestServer } from '../../test/harness.js'

let ts: TestServer
beforeAll(async () => {
  ts = await startServer(undefined, { limits: { partBytes: 4096, pageBytes: 2048, changeSetBytes: 1 << 20 } })
})
afterAll(async () => {
  await ts?.server.close()
})

const HLC = '2026-11-30T10:00:00.000Z-000000'
const entry = (k: string, v: unknown, hlc = HLC): Entry => ({ key: encodeKey(k), value: v === undefined ? null : encodeValue(v), hlc })
const cs = (entries: Entry[], device = 'dev-a') => encodeChangeSet({ device, base: 0, entries })

function call(name: string, path: string, init: RequestInit & { token?: string | null } = {}) {
  const headers = new Headers(init.headers)
  const token = init.token === undefined ? ts.token(name) : init.token
  if (token !== null) headers.set('authorization', `Bearer ${token}`)
  return fetch(`${ts.dbUrl(name)}/${path}`, { ...init, headers })
}
const push = (name: string, id: string, body: Uint8Array, token?: string | null) =>
  call(name, `push/${id}`, { method: 'POST', body: body as Uint8Array<ArrayBuffer>, headers: { 'content-type': 'application/octet-stream' }, ...(token !== undefined ? { token } : {}) })

/** Rows the server holds for a database, all tables: what a refused request must not change. */
async function footprint(name: string) {
  const q = (t: string) => ts.server.store.sql.query<{ n: number }>(`select count(*)::int as n from ${t} where db = $1`, [name]).then((r) => r[0]!.n)
  return { head: await ts.server.store.head(name), sets: await q('cowdb_sync_changesets'), entries: await q('cowdb_sync_entries'), parts: await q('cowdb_sync_parts') }
}

describe('auth', () => {
  it('401 without or with a bad token, 403 for another database or a read-only token, on every route; nothing stored', async () => {
    const name = freshName()
    expect((await push(name, 'first-push', cs([entry('a', 1)]))).status).toBe(200)
    const before = await footprint(name)
    const routes: [string, RequestInit][] = [
      ['push/p-00000001', { method: 'POST', body: cs([entry('b', 2)]) as Uint8Array<ArrayBuffer> }],
      ['push/p-00000001/parts/0', { method: 'PUT', body: new Uint8Array(10) }],
      ['pull?from=1', {}],
      ['head', {}],
      ['live', {}],
      [`state?key=${toBase64Url(encodeKey('a'))}`, {}],
      ['state', {}],
    ]
    const other = freshName()
    for (const [path, init] of routes) {
      expect((await call(name, path, { ...init, token: null })).status, path).toBe(401)
      expect((await call(name, path, { ...init, token: 'cowdb1.forged.sig' })).status, path).toBe(401)
      expect((await call(name, path, { ...init, token: ts.token(other) })).status, path).toBe(403)
      const ro = await call(name, path, { ...init, token: ts.token(name, 'read') })
      if (path.startsWith('push')) expect(ro.status, path).toBe(403)
      else {
        expect(ro.status, path).toBe(200)
        await ro.body?.cancel()
      }
    }
    expect((await call(name, 'head', { token: null })).headers.get('www-authenticate')).toBe('Bearer')
    expect(await footprint(name)).toEqual(before)
  })

  it('answers CORS preflights without a token', async () => {
    const res = await fetch(`${ts.dbUrl('x')}/pull`, { method: 'OPTIONS', headers: { origin: 'http://localhost:1', 'access-control-request-headers': 'authorization' } })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-headers')).toContain('authorization')
  })
})

describe('bounded and checked requests', () => {
  it('413 for a body or part over the limit, and for a part index past the largest change set', async () => {
    const name = freshName()
    const big = cs([entry('a', 'x'.repeat(5000))])
    expect((await push(name, 'too-big-01', big)).status).toBe(413)
    expect((await call(name, 'push/too-big-02/parts/0', { method: 'PUT', body: new Uint8Array(5000) })).status).toBe(413)
    expect((await call(name, 'push/too-big-03/parts/100000', { method: 'PUT', body: new Uint8Array(10) })).status).toBe(413)
    expect(await footprint(name)).toEqual({ head: 0, sets: 0, entries: 0, parts: 0 })
  })

  it('400 for malformed change sets and push ids; nothing stored', async () => {
    const name = freshName()
    const bad: [string, Uint8Array][] = [
      ['not msgpack', new Uint8Array([0xc1, 1, 2])],
      ['empty', cs([])],
      ['unsorted', cs([entry('b', 1), entry('a', 1)])],
      ['duplicate key', cs([entry('a', 1), entry('a', 2)])],
      ['bad key', cs([{ key: new Uint8Array([0x99, 1]), value: encodeValue(1), hlc: HLC }])],
      ['bad value', cs([{ key: encodeKey('a'), value: new Uint8Array([0xc1 + 1, 0xff, 0xff]), hlc: HLC }])],
      ['bad hlc', cs([entry('a', 1, 'yesterday')])],
      ['bad device', encodeChangeSet({ device: '', base: 0, entries: [entry('a', 1)] })],
    ]
    for (const [what, body] of bad) expect((await push(name, 'bad-push-01', body)).status, what).toBe(400)
    expect((await push(name, 'short', cs([entry('a', 1)]))).status).toBe(400)
    expect(await footprint(name)).toEqual({ head: 0, sets: 0, entries: 0, parts: 0 })
  })

  it('any corruption of a change set is a 400 that stores nothing, or a valid push (fuzz)', async () => {
    const name = freshName()
    const good = cs([entry('a', { n: 1 }), entry('b', [1, 2, 3]), entry('c', undefined)])
    let n = 0
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(good.length - 1), fc.nat(255)), { minLength: 1, maxLength: 4 }), async (flips) => {
        const body = good.slice()
        for (const [at, b] of flips) body[at] = b
        const before = await footprint(name)
        const res = await push(name, `fuzz-${++n}-${Date.now()}`, body)
        expect([200, 400]).toContain(res.status)
        const after = await footprint(name)
        if (res.status === 400) expect(after).toEqual(before)
        else expect(after.sets).toBe(before.sets + 1)
      }),
      { seed: 21, numRuns: 60 },
    )
  })
})

describe('idempotent pushes', () => {
  it('one push id appends once, sent again, or many times at once', async () => {
    const name = freshName()
    const body = cs([entry('a', 1)])
    const first = await (await push(name, 'same-push-1', body)).json()
    const again = await (await push(name, 'same-push-1', body)).json()
    expect(first).toEqual({ seq: 1, duplicate: false })
    expect(again).toEqual({ seq: 1, duplicate: true })
    const burst = await Promise.all(Array.from({ length: 6 }, () => push(name, 'same-push-2', cs([entry('b', 2)])).then((r) => r.json())))
    expect(new Set(burst.map((r) => r.seq))).toEqual(new Set([2]))
    expect(burst.filter((r) => !r.duplicate)).toHaveLength(1)
    expect(await footprint(name)).toMatchObject({ head: 2, sets: 2, entries: 2 })
  })

  it('parts arrive in any order, twice, and commit once; a wrong checksum or a missing part is a 400', async () => {
    const name = freshName()
    const payload = cs(Array.from({ length: 40 }, (_, i) => entry(`k${String(i).padStart(3, '0')}`, 'v'.repeat(300))))
    const parts = Math.ceil(payload.length / 4096)
    expect(parts).toBeGreaterThan(2)
    const put = (i: number) => call(name, `push/parted-01/parts/${i}`, { method: 'PUT', body: payload.subarray(i * 4096, (i + 1) * 4096) })
    for (const i of [2, 0, 2, 1, ...Array.from({ length: parts - 3 }, (_, j) => j + 3).reverse()]) expect((await put(i)).status).toBe(204)
    const commit = (sha: string, n = parts) => call(name, 'push/parted-01', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ parts: n, bytes: payload.length, sha256: sha }) })
    expect((await commit('0'.repeat(64))).status).toBe(400)
    expect((await commit(await sha256Hex(payload), parts + 1)).status).toBe(400)
    expect(await footprint(name)).toMatchObject({ head: 0, sets: 0 })
    expect(await (await commit(await sha256Hex(payload))).json()).toEqual({ seq: 1, duplicate: false })
    expect(await (await commit(await sha256Hex(payload))).json()).toEqual({ seq: 1, duplicate: true })
    expect(await footprint(name)).toEqual({ head: 1, sets: 1, entries: 40, parts: 0 })
  })
})

describe('reads', () => {
  it('pull pages slice values larger than a page and resume where they stopped', async () => {
    const name = freshName()
    const blob = new Uint8Array(3000).map((_, i) => i % 251)
    await push(name, 'pull-test-1', cs([entry('a', 'small'), entry('b', blob)]))
    await push(name, 'pull-test-2', cs([entry('c', 'later')]))
    const got: { key: Uint8Array; value: Uint8Array | null; offset: number }[] = []
    let q = 'from=1'
    let pages = 0
    for (;;) {
      const page = decodePullPage(new Uint8Array(await (await call(name, `pull?${q}`)).arrayBuffer()))
      pages++
      got.push(...page.entries)
      if (!page.next) break
      q = `from=${page.next.seq}&idx=${page.next.idx}&offset=${page.next.offset}`
    }
    expect(pages).toBeGreaterThan(2)
    const b = got.filter((e) => e.key.length === encodeKey('b').length && e.key.every((x, i) => x === encodeKey('b')[i]))
    const joined = new Uint8Array(b.reduce((n, e) => n + e.value!.length, 0))
    b.reduce((at, e) => (joined.set(e.value!, at), at + e.value!.length), 0)
    expect(joined).toEqual(encodeValue(blob))
    expect(got.filter((e) => e.offset === 0)).toHaveLength(3)
  })

  it('the state at any sequence: one key, and a range, with deletes', async () => {
    const name = freshName()
    await push(name, 'state-one-1', cs([entry('a', 1), entry('b', 1)]))
    await push(name, 'state-one-2', cs([entry('a', 2, '2026-11-30T10:00:01.000Z-000000'), entry('b', undefined, '2026-11-30T10:00:01.000Z-000000')]))
    await push(name, 'state-one-3', cs([entry('a', 0, '2026-11-30T09:00:00.000Z-000000')])) // older commit: not applied
    const u8 = (b: Uint8Array | null) => (b === null ? null : Array.from(b))
    const value = async (k: string, at: number) => {
      const v = decodeStateValue(new Uint8Array(await (await call(name, `state?key=${toBase64Url(encodeKey(k))}&at=${at}`)).arrayBuffer()))
      return { ...v, value: u8(v.value) }
    }
    expect((await value('a', 1)).value).toEqual(u8(encodeValue(1)))
    expect((await value('a', 2)).value).toEqual(u8(encodeValue(2)))
    expect((await value('a', 3)).value).toEqual(u8(encodeValue(2)))
    expect((await value('b', 2)).value).toBeNull()
    expect((await value('a', 0)).value).toBeNull()
    expect((await call(name, `state?key=${toBase64Url(encodeKey('a'))}&at=4`)).status).toBe(400)
    const page = async (at: number) => decodeStatePage(new Uint8Array(await (await call(name, `state?at=${at}&gte=${toBase64Url(encodeKey('a'))}`)).arrayBuffer()))
    expect((await page(1)).entries.map((e) => u8(e.value))).toEqual([u8(encodeValue(1)), u8(encodeValue(1))])
    expect((await page(3)).entries.map((e) => u8(e.value))).toEqual([u8(encodeValue(2))])
  })
})
