// Tenants on their own: each call's contract, isolation (reads, writes, snapshots, transactions,
// restore, deleteRange, backups), clones sharing pages, per-tenant retention saved in the Meta
// and replayed from the WAL, the space a tenant alone holds, dropping one, and the labelled
// metrics with their bound. The model and crash tests are in test/tenants.model.test.ts.
import parsePrometheus from 'parse-prometheus-text-format'
import { describe, expect, it } from 'vitest'
import { FaultController, FaultyStorage } from '../test/faults.js'
import { Database } from './database.js'
import { ConflictError, SnapshotNotFoundError } from './errors.js'
import { MemoryStorage } from './memory-store.js'
import type { DatabaseOptions } from './options.js'

const OPEN: DatabaseOptions = { pageSize: 512, checkpointDelayMs: 0 }
const key = (i: number) => `k${String(i).padStart(4, '0')}`

async function fill(db: Database, branch: string, n: number, tag: string) {
  await db.batch(Array.from({ length: n }, (_, i) => ({ type: 'put' as const, key: key(i), value: `${tag}:${i}` })), { branch })
}
const all = async (db: Database, branch: string, snapshot?: string) => (await db.scan({ branch, snapshot, limit: 1e9 })).map(([k, v]) => `${String(k)}=${String(v)}`)

describe('creating, listing and dropping tenants', () => {
  it('starts empty, lists by name apart from branches, and refuses bad or taken names leaving no trace', async () => {
    const storage = new MemoryStorage()
    let db = await Database.open(storage, OPEN)
    await db.put('x', 1)
    await db.branch('draft')
    const info = await db.createTenant('acme')
    expect(info).toMatchObject({ name: 'acme', root: 0, history: 0, snapshots: 0, ownRetention: false, retention: { keepLast: 0, keepFor: 0, keepNamed: true } })
    await db.createTenant('beta', { retention: { keepLast: 3 } })
    expect(await db.count({}, { branch: 'acme' })).toBe(0)
    expect((await db.tenants()).map((t) => t.name)).toEqual(['acme', 'beta'])
    expect((await db.branches()).map((b) => b.name)).toEqual(['main', 'draft'])
    for (const [name, error] of [['main', TypeError], ['', TypeError], [7, TypeError], ['draft', TypeError], ['acme', TypeError]] as const) {
      await expect(db.createTenant(name as string), String(name)).rejects.toThrow(error)
    }
    await expect(db.createTenant('c', { from: { tenant: 'nobody' } })).rejects.toThrow(SnapshotNotFoundError)
    await expect(db.createTenant('c', { from: { tenant: 'draft' } })).rejects.toThrow(TypeError) // a branch is not a tenant
    await expect(db.createTenant('c', { retention: { keepLast: -1 } })).rejects.toThrow(TypeError)
    await expect(db.branch('acme')).rejects.toThrow(TypeError)
    await expect(db.dropBranch('acme')).rejects.toThrow(TypeError)
    await expect(db.dropTenant('draft')).rejects.toThrow(TypeError)
    await expect(db.dropTenant('nobody')).rejects.toThrow(SnapshotNotFoundError)
    await db.close()
    db = await Database.open(storage.reopen(), OPEN)
    const after = await db.tenants()
    expect(after.map((t) => [t.name, t.ownRetention, t.retention.keepLast])).toEqual([['acme', false, 0], ['beta', true, 3]])
    await db.dropTenant('acme')
    expect((await db.tenants()).map((t) => t.name)).toEqual(['beta'])
    await db.close()
    db = await Database.open(storage.reopen(), OPEN)
    expect((await db.tenants()).map((t) => t.name)).toEqual(['beta'])
    await db.close()
  })

  it('a dropped branch whose named snapshots remain keeps its name from a new tenant (its snapshots would become the tenant\'s)', async () => {
    const db = await Database.open(new MemoryStorage(), OPEN)
    await db.branch('old')
    await db.put('a', 1, { branch: 'old' })
    await db.snapshot({ branch: 'old' })
    await db.dropBranch('old')
    await expect(db.createTenant('old')).rejects.toThrow(/taken/)
    await db.close()
  })
})

describe('isolation', () => {
  it("a tenant's reads never see another's writes, and its snapshots are seen only through it", async () => {
    const db = await Database.open(new MemoryStorage(), OPEN)
    await db.createTenant('a')
    await db.createTenant('b')
    const a = db.tenant('a')
    const b = db.tenant('b')
    await fill(db, 'a', 50, 'a')
    await b.put(key(1), 'b only')
    await db.put(key(2), 'main only')
    expect(await b.get(key(0))).toBeUndefined()
    expect(await a.get(key(1))).toBe('a:1')
    expect(await db.get(key(0))).toBeUndefined()
    // the handle's tenant wins over a branch in the caller's options
    expect(await b.get(key(0), { branch: 'a' } as never)).toBeUndefined()
    const sa = await a.snapshot({ label: 'a1' })
    const sb = await b.snapshot()
    const sm = await db.snapshot()
    expect((await a.snapshots()).map((s) => s.id)).toEqual([sa.id])
    expect((await b.snapshots()).map((s) => s.id)).toEqual([sb.id])
    expect((await db.snapshots()).map((s) => s.id)).toEqual([sm.id]) // main's listing leaves tenants out
    const refused: [string, () => Promise<unknown>][] = [
      ['get', () => b.get(key(0), { snapshot: sa.id })],
      ['scan', () => b.scan({ snapshot: sa.id })],
      ['count', () => b.count({}, { snapshot: sa.id })],
      ['iterate', async () => { for await (const _ of b.iterate({ snapshot: sa.id })) break }],
      ['diff from', () => b.diff(sa.id)],
      ['diff to', () => b.diff(sb.id, sa.id)],
      ['restore', () => b.restore(sa.id)],
      ['dropSnapshot', () => b.dropSnapshot(sa.id)],
      ['export', () => b.exportBackup({ snapshot: sa.id })],
      ['export since', () => b.exportBackup({ since: sa.id })],
      ['main reads a tenant snapshot', () => db.get(key(0), { snapshot: sa.id })],
      ['main restores a tenant snapshot', () => db.restore(sa.id)],
      ['main drops a tenant snapshot', () => db.dropSnapshot(sa.id)],
      ['a branch from a tenant snapshot', () => db.branch('x', { from: sa.id })],
      ['a tenant reads main\'s snapshot', () => a.get(key(2), { snapshot: sm.id })],
      ['a tenant restores main\'s snapshot', () => a.restore(sm.id)],
      ['a clone of a at b\'s snapshot', () => db.createTenant('c', { from: { tenant: 'a', snapshot: sb.id } })],
    ]
    for (const [what, call] of refused) await expect(call(), what).rejects.toThrow(SnapshotNotFoundError)
    expect(await all(db, 'b')).toEqual([`${key(1)}=b only`])
    expect((await db.tenants()).map((t) => t.name)).toEqual(['a', 'b'])
    expect((await a.snapshots()).length).toBe(1)
    expect(await a.get(key(3), { snapshot: sa.id })).toBe('a:3') // its own, through it
    await db.close()
  })

  it('deleteRange and restore stay inside the tenant', async () => {
    const db = await Database.open(new MemoryStorage(), OPEN)
    for (const t of ['a', 'b']) {
      await db.createTenant(t)
      await fill(db, t, 300, t)
    }
    const a = db.tenant('a')
    const s = await a.snapshot()
    await a.deleteRange({})
    expect(await a.count()).toBe(0)
    expect(await db.count({}, { branch: 'b' })).toBe(300)
    await db.tenant('b').put(key(0), 'changed')
    await a.restore(s.id)
    expect(await a.count()).toBe(300)
    expect(await db.tenant('b').get(key(0))).toBe('changed')
    await db.close()
  })

  it('transactions on two tenants never conflict; on one tenant they do', async () => {
    const db = await Database.open(new MemoryStorage(), OPEN)
    await db.createTenant('a')
    await db.createTenant('b')
    let attempts = 0
    await db.tenant('a').transaction(async (tx) => {
      attempts++
      const v = (await tx.get('counter')) as number | undefined
      await db.tenant('b').put('counter', 100) // the same key, another tenant
      tx.put('counter', (v ?? 0) + 1)
    })
    expect(attempts).toBe(1)
    expect(await db.tenant('a').get('counter')).toBe(1)
    await expect(
      db.tenant('a').transaction(async (tx) => {
        await tx.get('counter')
        await db.tenant('a').put('counter', 5) // the same tenant: a conflict every attempt
        tx.put('counter', 0)
      }, { retries: 1 }),
    ).rejects.toThrow(ConflictError)
    await db.close()
  })
})

describe('clones', () => {
  it('are O(1), at the head or at one of its snapshots, and share pages until one side writes', async () => {
    const db = await Database.open(new MemoryStorage(), OPEN)
    await db.createTenant('tpl')
    await fill(db, 'tpl', 400, 'tpl')
    const tpl = db.tenant('tpl')
    const s = await tpl.snapshot()
    await tpl.put(key(0), 'after the snapshot')
    await db.checkpoint()
    const created = (await db.stats()).pagesCreated
    const headClone = await tpl.clone('h')
    const snapClone = await tpl.clone('s', { snapshot: s.id })
    expect((await db.stats()).pagesCreated).toBe(created) // no page copied
    expect(await headClone.get(key(0))).toBe('after the snapshot')
    expect(await snapClone.get(key(0))).toBe('tpl:0')
    expect(await all(db, 's')).toEqual(await all(db, 'tpl', s.id))
    expect(await snapClone.snapshots()).toEqual([]) // the clone's stream starts empty
    const space = await db.tenants({ space: true })
    expect(space.map((t) => [t.name, t.bytes])).toEqual([['h', 0], ['s', 0], ['tpl', expect.any(Number)]])
    await snapClone.put(key(5), 'mine')
    await db.checkpoint()
    const after = Object.fromEntries((await db.tenants({ space: true })).map((t) => [t.name, t.bytes!]))
    expect(after.s).toBeGreaterThan(0) // the path it copied is its own
    expect(await tpl.get(key(5))).toBe('tpl:5')
    await db.close()
  })

  it('the space each holds is walked in steps while writers, snapshots and drops go on', async () => {
    const db = await Database.open(new MemoryStorage(), { pageSize: 512, checkpointDelayMs: 1 })
    for (const t of ['a', 'b', 'c']) {
      await db.createTenant(t)
      await fill(db, t, 3000, t) // a few hundred pages each: the walk takes several steps
    }
    const s = await db.tenant('c').snapshot()
    await db.checkpoint()
    const alone = Object.fromEntries((await db.tenants({ space: true })).map((t) => [t.name, t.bytes!]))
    const walking = db.tenants({ space: true })
    let writes = 0
    const writer = (async () => {
      for (let i = 0; i < 200; i++, writes++) await db.tenant(i % 2 ? 'a' : 'b').put(key(i), `w${i}`)
      await db.tenant('c').dropSnapshot(s.id)
      await db.dropTenant('b')
      await db.checkpoint()
    })()
    const during = Object.fromEntries((await walking).map((t) => [t.name, t.bytes!]))
    const overlapped = writes // writers ran between the walk's steps
    await writer
    expect(overlapped).toBeGreaterThan(0)
    expect(during.a).toBeGreaterThan(0)
    expect(during.c).toBeGreaterThan(0)
    expect(alone.a).toBeGreaterThan(0)
    expect((await db.space()).reachableButFree).toBe(0)
    const after = (await db.tenants({ space: true })).map((t) => t.name)
    expect(after).toEqual(['a', 'c'])
    await db.close()
  })

  it('dropping the origin (and its snapshots) frees nothing a clone reaches', async () => {
    const db = await Database.open(new MemoryStorage(), { ...OPEN, retention: { keepLast: 5 } })
    await db.createTenant('tpl')
    await fill(db, 'tpl', 300, 'tpl')
    for (let i = 0; i < 5; i++) await db.tenant('tpl').put(key(i), `edit ${i}`)
    await db.checkpoint()
    const s = (await db.tenant('tpl').snapshots()).at(-3)!
    await db.tenant('tpl').clone('c', { snapshot: s.id })
    const expected = await all(db, 'c')
    await db.tenant('tpl').setRetention({ keepLast: 1 }) // its history (and the clone's origin) goes
    await db.dropTenant('tpl')
    for (let i = 0; i < 300; i++) await db.put(key(i), 'churn main') // reuse any slot freed early
    await db.checkpoint()
    expect((await db.space()).reachableButFree).toBe(0)
    expect(await all(db, 'c')).toEqual(expected)
    expect((await db.verify()).ok).toBe(true)
    await db.close()
  })
})

describe('retention per tenant', () => {
  it("each follows its own or the database's; saved in the Meta and replayed from the WAL", async () => {
    const ctl = new FaultController()
    const storage = new FaultyStorage(ctl, () => 0.5)
    const db = await Database.open(storage, { ...OPEN, retention: { keepLast: 0 } })
    await db.createTenant('a', { retention: { keepLast: 2 } })
    await db.createTenant('b')
    for (let i = 0; i < 4; i++) {
      await db.tenant('a').put('v', i)
      await db.tenant('b').put('v', i)
    }
    expect((await db.tenant('a').snapshots()).filter((s) => s.kind === 'history').length).toBe(2)
    expect(await db.tenant('b').undo()).toBeNull() // b follows the database's: no history
    expect(await db.tenant('a').undo()).not.toBeNull()
    expect(await db.tenant('a').get('v')).toBe(2)
    await db.checkpoint() // a's own retention is in the Meta from here
    await db.setRetention({ keepLast: 3 }) // b (and main) follow it now, a keeps its own
    await db.tenant('b').setRetention({ keepNamed: false }) // b's own: the database's keepLast 3, keepNamed false
    for (let i = 0; i < 5; i++) await db.tenant('b').snapshot({ label: `n${i}` })
    expect((await db.tenant('b').snapshots()).map((s) => s.label)).toEqual(['n2', 'n3', 'n4'])
    expect(await db.getRetention()).toEqual({ keepLast: 3, keepFor: 0, keepNamed: true })
    expect(await db.tenant('a').getRetention()).toEqual({ keepLast: 2, keepFor: 0, keepNamed: true })
    // a crash now: the retention records after the checkpoint are replayed from the WAL
    const after = await Database.open(storage.afterCrash(() => 0.99), OPEN)
    expect(await after.getRetention()).toEqual({ keepLast: 3, keepFor: 0, keepNamed: true })
    expect(await after.tenant('a').getRetention()).toEqual({ keepLast: 2, keepFor: 0, keepNamed: true })
    expect(await after.tenant('b').getRetention()).toEqual({ keepLast: 3, keepFor: 0, keepNamed: false })
    expect((await after.tenants()).map((t) => t.ownRetention)).toEqual([true, true])
    expect((await after.tenant('b').snapshots()).map((s) => s.label)).toEqual(['n2', 'n3', 'n4'])
    expect(await after.tenant('a').get('v')).toBe(2)
    expect(await after.tenant('a').redo()).not.toBeNull()
    expect(await after.tenant('a').get('v')).toBe(3)
    await after.tenant('a').setRetention({ keepLast: 0 }) // history off for a alone
    expect((await after.tenant('a').snapshots()).length).toBe(0)
    await after.close()
  })
})

describe('dropping a tenant', () => {
  it('gives back every page only it reached, by the background gc, without gc()', async () => {
    const db = await Database.open(new MemoryStorage(), { pageSize: 512, checkpointDelayMs: 2, retention: { keepLast: 3 } })
    await fill(db, 'main', 200, 'main')
    await db.checkpoint()
    const before = (await db.space()).reachable
    await db.createTenant('t')
    await fill(db, 't', 300, 't')
    for (let i = 0; i < 20; i++) await db.tenant('t').put(key(i), `edit ${i}`)
    await db.tenant('t').snapshot()
    await db.checkpoint()
    const own = (await db.tenants({ space: true }))[0]!.bytes! / 512
    const held = (await db.space()).reachable
    expect(own).toBeGreaterThan(0)
    expect(held - before).toBeGreaterThanOrEqual(own)
    const runs = (await db.stats()).gcRuns as number
    await db.dropTenant('t')
    for (let i = 0; i < 400 && ((await db.stats()).gcRuns as number) <= runs; i++) await new Promise((r) => setTimeout(r, 5))
    const space = await db.space()
    expect({ leaked: space.leaked, reachableButFree: space.reachableButFree }).toEqual({ leaked: 0, reachableButFree: 0 })
    expect(space.reachable).toBeLessThanOrEqual(held - own) // what only it held is no longer live
    expect(space.reachable).toBeLessThanOrEqual(before + 2) // (main's head may have been rewritten once)
    await db.close()
  })

  it('a drop while a gc marks is collected by the next background gc', async () => {
    const db = await Database.open(new MemoryStorage(), { pageSize: 512, checkpointDelayMs: 1 })
    await fill(db, 'main', 8000, 'main') // enough pages that marking takes several steps
    await db.createTenant('t')
    await fill(db, 't', 300, 't')
    await db.checkpoint()
    const running = db.gc() // marks in steps; the drop's timer fires meanwhile
    await new Promise((r) => setTimeout(r, 0))
    await db.dropTenant('t')
    const runs = ((await running) && (await db.stats()).gcRuns) as number
    for (let i = 0; i < 400 && ((await db.stats()).gcRuns as number) <= runs; i++) await new Promise((r) => setTimeout(r, 5))
    expect((await db.stats()).gcRuns).toBeGreaterThan(runs)
    expect((await db.space()).leaked).toBe(0)
    await db.close()
  })
})

describe('backups per tenant', () => {
  it('full and incremental, imported into another store as a tenant (created if missing)', async () => {
    const src = await Database.open(new MemoryStorage(), OPEN)
    const dst = await Database.open(new MemoryStorage(), OPEN)
    await src.createTenant('acme')
    const acme = src.tenant('acme')
    await fill(src, 'acme', 100, 'v1')
    await src.put(key(0), 'main, not exported')
    const full = await acme.exportBackup({ keepSnapshot: true })
    const base = (await acme.snapshots()).at(-1)!
    expect(base.label).toBe('backup')
    await acme.put(key(1), 'v2')
    await acme.delete(key(2))
    const inc = await acme.exportBackup({ since: base.id })
    await dst.createTenant('other')
    await expect(dst.tenant('acme').importBackup(inc)).rejects.toThrow(SnapshotNotFoundError) // base not here
    expect(await dst.tenants()).toHaveLength(1) // and no tenant was left behind
    await expect(dst.tenant('acme').importBackup(new Uint8Array([1, 2, 3]))).rejects.toThrow(TypeError)
    await dst.tenant('other').importBackup(full)
    await expect(dst.tenant('acme').importBackup(inc)).rejects.toThrow(SnapshotNotFoundError) // other's base is not acme's
    await dst.tenant('acme').importBackup(full)
    await dst.tenant('acme').importBackup(inc)
    expect(await all(dst, 'acme')).toEqual(await all(src, 'acme'))
    expect(await dst.get(key(0))).toBeUndefined() // main untouched
    await dst.branch('plain')
    await expect(dst.importBackup(full, { branch: 'plain', tenant: true })).rejects.toThrow(TypeError)
    await src.close()
    await dst.close()
  })
})

type Family = { name: string; type: string; metrics: { value?: string; labels?: Record<string, string> }[] }
const families = async (db: Database) => new Map((parsePrometheus(await db.metrics()) as Family[]).map((f) => [f.name, f]))

describe('per-tenant metrics', () => {
  it('carry a tenant label, the largest tenants first, the rest summed as __other__; the unlabelled series stay', async () => {
    const db = await Database.open(new MemoryStorage(), { ...OPEN, tenantLabels: 2 })
    const sizes = { big: 300, 'q"uo\\te': 150, small: 20, tiny: 5 }
    for (const [name, n] of Object.entries(sizes)) {
      await db.createTenant(name)
      await fill(db, name, n, name)
    }
    await db.tenant('small').put('x', 1)
    await db.tenant('tiny').snapshot()
    await db.checkpoint()
    // before a first walk of the pages: no bytes series, the labelled ones by name; the walk starts
    const first = await families(db)
    expect(first.get('cow_tenant_exclusive_bytes')).toBeUndefined()
    expect(first.get('cow_tenant_root_updates_total')!.metrics.map((s) => s.labels!.tenant)).toEqual(['big', 'q"uo\\te', '__other__'])
    await db.tenants({ space: true }) // (shares the walk metrics() started)
    const m = await families(db)
    expect(Number(m.get('cow_tenants')!.metrics[0]!.value)).toBe(4)
    expect(m.get('cow_root_updates_total')!.metrics).toHaveLength(1) // the store's series, unlabelled
    const series = (name: string) => Object.fromEntries(m.get(name)!.metrics.map((s) => [s.labels!.tenant, Number(s.value)]))
    const updates = series('cow_tenant_root_updates_total')
    expect(Object.keys(updates)).toEqual(['big', 'q"uo\\te', '__other__'])
    expect(updates).toEqual({ big: 1, 'q"uo\\te': 1, __other__: 3 }) // small: 2, tiny: 1
    const bytes = series('cow_tenant_exclusive_bytes')
    const exclusive = Object.fromEntries((await db.tenants({ space: true })).map((t) => [t.name, t.bytes!]))
    expect(bytes).toEqual({ big: exclusive.big, 'q"uo\\te': exclusive['q"uo\\te'], __other__: exclusive.small! + exclusive.tiny! })
    expect(series('cow_tenant_snapshots')).toEqual({ big: 0, 'q"uo\\te': 0, __other__: 1 })
    expect(series('cow_tenant_snapshot_age_seconds').__other__).toBeGreaterThanOrEqual(0)
    const created = series('cow_tenant_pages_created_total')
    expect(created.big).toBeGreaterThan(created['q"uo\\te']!)
    expect(m.get('cow_tenant_pages_created_total')!.type).toBe('COUNTER')
    await db.close()
  })
})
