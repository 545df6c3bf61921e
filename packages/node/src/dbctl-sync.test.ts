// dbctl --sync-url against a real sync server on PGlite (in a temp directory): the state at each
// server sequence as a device pushed it, restore into a fresh store, and the refusals.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Database, MemoryStorage, compareKeys, encodeKey, type Key, type Value } from '@cowdb/core'
import { createSyncServer, signToken, signedTokens, type SyncServer } from '@cowdb/sync/server'
import { sync } from '@cowdb/sync'
import { pgliteDir } from '../../sync/test/process.js'
import { main } from './dbctl.js'
import { toJson } from './format.js'

const SECRET = 'dbctl-test-secret-0123456789'
const NAME = 'notes'
let server: SyncServer
let dir: string
let base: string
let url: string
const token = (db = NAME, access?: 'read') => signToken(SECRET, { db, ...(access ? { access } : {}) })

async function dbctl(...argv: string[]) {
  const out: string[] = []
  const err: string[] = []
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) })
  return { code, out, err }
}
const remote = (...argv: string[]) => dbctl('--sync-url', url, '--token', token(), ...argv)

/** The model's entries in cowdb's key order, as dbctl prints them. */
const entries = (m: Map<string, [Key, Value]>) =>
  [...m.values()].sort(([a], [b]) => compareKeys(encodeKey(a), encodeKey(b))).map(([key, value]) => toJson({ key, value }))

/** Server sequence -> the state a device pushed up to it (a plain Map model). */
const states: { seq: number; model: Map<string, [Key, Value]> }[] = []
const id = (k: Key) => JSON.stringify(toJson(k))

beforeAll(async () => {
  dir = await pgliteDir()
  server = await createSyncServer({ authorize: signedTokens(SECRET), store: { dataDir: dir } })
  base = await server.listen(0)
  url = `${base}/db/${NAME}`
  // one device pushes four rounds of writes; after each, the server's head is a new sequence
  const db = await Database.open(new MemoryStorage(), { checkpointDelayMs: 0 })
  const handle = await sync(db, { url, token: token(), auto: false })
  const model = new Map<string, [Key, Value]>()
  const rounds: [Key, Value | undefined][][] = [
    [['note:1', { title: 'one' }], ['note:2', 'two'], [['n', 7], [1, 2]], ['todo:a', true]],
    [['note:1', { title: 'one, edited' }], ['note:2', undefined], ['note:3', 3]],
    [['todo:a', undefined], ['note:2', 'two again'], [['n', 7], undefined], ['zz', null]],
    [['note:3', new Uint8Array([1, 2, 3])], ['todo:b', 'b']],
  ]
  for (const round of rounds) {
    for (const [k, v] of round) {
      if (v === undefined) {
        await db.delete(k)
        model.delete(id(k))
      } else {
        await db.put(k, v)
        model.set(id(k), [k, v])
      }
    }
    const { cursor } = await handle.syncNow()
    states.push({ seq: cursor, model: new Map(model) })
  }
  await handle.stop()
  await db.close()
})

afterAll(async () => {
  await server?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('dbctl --sync-url', () => {
  it('scan and get --at SEQ print the state the device pushed at each sequence; without --at, the latest', async () => {
    expect(states.map((s) => s.seq)).toEqual([...states.map((s) => s.seq)].sort((a, b) => a - b))
    expect(new Set(states.map((s) => s.seq)).size).toBe(states.length)
    const allKeys = new Map(states.flatMap((s) => [...s.model.entries()]).map(([i, [k]]) => [i, k]))
    for (const { seq, model } of states) {
      const scan = await remote('scan', '--at', String(seq))
      expect(scan.err).toEqual([])
      expect(scan.code).toBe(0)
      expect(scan.out.map((l) => JSON.parse(l))).toEqual(entries(model))
      for (const [i, k] of allKeys) {
        const g = await remote('get', '--key-json', JSON.stringify(toJson(k)), '--at', String(seq))
        if (model.has(i)) expect(g).toEqual({ code: 0, out: [JSON.stringify(toJson(model.get(i)![1]))], err: [] })
        else expect(g).toEqual({ code: 1, out: [], err: ['dbctl: not found'] })
      }
    }
    const last = states.at(-1)!
    expect((await remote('scan')).out.map((l) => JSON.parse(l))).toEqual(entries(last.model))
    expect(await remote('get', '--key', 'note:1')).toEqual({ code: 0, out: ['{"title":"one, edited"}'], err: [] })
    expect(await remote('head')).toEqual({ code: 0, out: [JSON.stringify({ seq: last.seq })], err: [] })
    // before the first push the database was empty
    expect(await remote('scan', '--at', '0')).toEqual({ code: 0, out: [], err: [] })
  })

  it('scan takes the local range flags (--prefix, --gte/--lt, --gt/--lte, --limit) at a sequence', async () => {
    const { seq, model } = states[1]!
    const all = entries(model) as { key: unknown }[]
    const strings = all.filter((e) => typeof e.key === 'string') as { key: string }[]
    const scan = async (...flags: string[]) => (await remote('scan', '--at', String(seq), ...flags)).out.map((l) => JSON.parse(l))
    expect(await scan('--prefix', 'note:')).toEqual(strings.filter((e) => e.key.startsWith('note:')))
    expect(await scan('--gte', 'note:2', '--lt', 'todo:b')).toEqual(strings.filter((e) => e.key >= 'note:2' && e.key < 'todo:b'))
    expect(await scan('--gt', 'note:1', '--lte', 'note:3')).toEqual(strings.filter((e) => e.key > 'note:1' && e.key <= 'note:3'))
    expect(await scan('--limit', '2')).toEqual(all.slice(0, 2))
  })

  it('restore fills a new store with the state at SEQ, and refuses a store that holds data', async () => {
    const root = mkdtempSync(join(tmpdir(), 'cowdb-dbctl-sync-'))
    try {
      const store = join(root, 'copy')
      const { seq, model } = states[2]!
      const r = await remote('restore', '--db', store, '--at', String(seq))
      expect(r.err).toEqual([])
      expect(JSON.parse(r.out[0]!)).toEqual({ at: seq, entries: model.size })
      const local = await dbctl('scan', '--db', store)
      expect(local.out.map((l) => JSON.parse(l))).toEqual(entries(model))
      const again = await remote('restore', '--db', store)
      expect(again.code).toBe(2)
      expect(again.out).toEqual([])
      expect(again.err[0]).toMatch(/^dbctl: restore --sync-url fills a new, empty store; .* holds data/)
      expect((await dbctl('scan', '--db', store)).out.map((l) => JSON.parse(l))).toEqual(entries(model))
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })

  it('a wrong token gets 401, a token for another database 403, with nothing printed but the error', async () => {
    const forged = signToken('another-secret-0123456789', { db: NAME })
    for (const cmd of [['get', '--key', 'note:1'], ['scan'], ['head']]) {
      const r401 = await dbctl('--sync-url', url, '--token', forged, ...cmd)
      expect(r401.code).toBe(1)
      expect(r401.out).toEqual([])
      expect(r401.err).toHaveLength(1)
      expect(r401.err[0]).toMatch(/^dbctl: SyncHttpError: cowdb-sync: 401/)
      const r403 = await dbctl('--sync-url', url, '--token', token('other'), ...cmd)
      expect(r403).toMatchObject({ code: 1, out: [] })
      expect(r403.err).toEqual([expect.stringMatching(/^dbctl: SyncHttpError: cowdb-sync: 403/)])
    }
    // a read-only token reads
    expect((await dbctl('--sync-url', url, '--token', token(NAME, 'read'), 'get', '--key', 'todo:b')).out).toEqual(['"b"'])
    // the token from the environment
    process.env.COWDB_SYNC_TOKEN = token()
    try {
      expect((await dbctl('--sync-url', url, 'get', '--key', 'todo:b')).out).toEqual(['"b"'])
    } finally {
      delete process.env.COWDB_SYNC_TOKEN
    }
  })

  it('an unreachable server, a bad or future SEQ, and a bad command line are clear errors with their exit codes', async () => {
    const head = states.at(-1)!.seq
    const offline = await dbctl('--sync-url', 'http://127.0.0.1:9/db/notes', '--token', token(), 'get', '--key', 'note:1')
    expect(offline).toMatchObject({ code: 1, out: [] })
    expect(offline.err).toEqual([expect.stringMatching(/^dbctl: SyncOfflineError: .*unreachable/)])
    const future = await remote('get', '--key', 'note:1', '--at', String(head + 1))
    expect(future).toMatchObject({ code: 1, out: [] })
    expect(future.err).toEqual([expect.stringMatching(/^dbctl: SyncHttpError: cowdb-sync: 400: sequence \d+ is beyond the database's head/)])
    for (const bad of ['-1', '1.5', 'x', '']) {
      const r = await remote('scan', `--at=${bad}`)
      expect(r.code).toBe(2)
      expect(r.out).toEqual([])
      expect(r.err[0]).toMatch(/^dbctl: --at takes a server sequence/)
    }
    const usage = async (argv: string[], message: RegExp) => {
      const r = await dbctl(...argv)
      expect(r.code).toBe(2)
      expect(r.out).toEqual([])
      expect(r.err[0]).toMatch(message)
    }
    await usage(['--sync-url', url, 'get', '--key', 'note:1'], /needs --token/)
    await usage(['--sync-url', url, '--token', token(), 'put', '--key', 'k', '--value', '1'], /put does not work with --sync-url/)
    await usage(['--sync-url', url, '--token', token(), 'get', '--key', 'k', '--snapshot', 's'], /--snapshot names a local store's state/)
    await usage(['--sync-url', url, '--token', token(), 'scan', '--reverse'], /key order only/)
    await usage(['--sync-url', url, '--token', token(), 'restore'], /needs --db DIR/)
    const notUrl = await dbctl('--sync-url', 'https://example.com/notes', '--token', token(), 'head')
    expect(notUrl).toMatchObject({ code: 1, out: [] })
    expect(notUrl.err).toEqual([expect.stringMatching(/^dbctl: TypeError: cowdb-sync: a database URL looks like/)])
    // none of it wrote: the head is where the device left it
    expect((await remote('head')).out).toEqual([JSON.stringify({ seq: head })])
  })
})
