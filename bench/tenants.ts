// Many tenants in one store (issue #19): `tenants` tenants of `keys` keys each (Node, files).
// What a tenant costs to open (create, and reopening the store), to clone (at its head, at a
// snapshot) and to drop (the call, and the background gc giving its pages back), and commits per
// second spread across every tenant against one tenant alone, each against a baseline measured
// in the same run: a store holding the same keys in one head, an empty tenant, a store with one
// tenant only.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open } from '@cowdb/node'
import { median, prng, timeIt, type Row } from './measure.ts'

type Db = Awaited<ReturnType<typeof open>>
// background checkpoints and gc on, with a short delay, so a drop's pages come back by themselves
const OPTS = { checkpointDelayMs: 100 }
const value = new Uint8Array(100).fill(7)

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now()
  await fn()
  return performance.now() - t
}

/** `n` sequential durable puts, each to the tenant `pick()` names; commits per second. */
async function commits(db: Db, n: number, pick: (i: number) => string, keys: number, rand: () => number): Promise<number> {
  const ms = await time(async () => {
    for (let i = 0; i < n; i++) await db.put(Math.floor(rand() * keys), value, { branch: pick(i) })
  })
  return n / (ms / 1000)
}

/** The same with 16 writers at a time (their commits share a flush: group commit). */
async function grouped(db: Db, rounds: number, pick: (i: number) => string, keys: number, rand: () => number): Promise<number> {
  const ms = await time(async () => {
    for (let r = 0; r < rounds; r++) await Promise.all(Array.from({ length: 16 }, (_, j) => db.put(Math.floor(rand() * keys), value, { branch: pick(r * 16 + j) })))
  })
  return (rounds * 16) / (ms / 1000)
}

/** Waits until a background gc has run since `runs` (no gc() call), up to a minute. */
async function backgroundGc(db: Db, runs: number): Promise<void> {
  for (let i = 0; i < 6000 && ((await db.stats()).gcRuns as number) <= runs; i++) await new Promise((r) => setTimeout(r, 10))
}

export async function tenantsBench(tenants: number, keys: number, commitCount: number): Promise<Row[]> {
  const dirs = [0, 1, 2].map(() => mkdtempSync(join(tmpdir(), 'cowdb-tenants-bench-')))
  const rand = prng(19)
  const rows: Row[] = []
  const names = Array.from({ length: tenants }, (_, i) => `t${String(i).padStart(4, '0')}`)
  const fill = () => Array.from({ length: keys }, (_, k) => ({ type: 'put' as const, key: k, value }))
  try {
    // ---- open: create and fill every tenant; the same keys in one head for the reopen baseline
    let db = await open(dirs[0]!, OPTS)
    const load: number[] = []
    for (const name of names) {
      await db.createTenant(name)
      load.push(await time(() => db.batch(fill(), { branch: name })))
    }
    await db.checkpoint()
    const live = (await db.stats()).pagesLive
    const one = await open(dirs[1]!, OPTS)
    for (let t = 0; t < tenants; t++) await one.batch(Array.from({ length: keys }, (_, k) => ({ type: 'put' as const, key: [t, k], value })))
    await one.close()
    await db.close()
    const reopenMany = await time(async () => (db = await open(dirs[0]!, OPTS)))
    let single: Db | undefined
    const reopenOne = await time(async () => (single = await open(dirs[1]!, OPTS)))
    await single!.close()
    const size = `${tenants.toLocaleString('en-US')} tenants × ${keys.toLocaleString('en-US')} keys`
    rows.push({ workload: `load a tenant's ${keys.toLocaleString('en-US')} keys (one batch), median`, unit: 'ms', cowdb: median(load), peers: {}, higherIsBetter: false })
    rows.push({ workload: `reopen the store of ${size} (${live.toLocaleString('en-US')} pages)`, unit: 'ms', cowdb: reopenMany, peers: { 'same keys in one head': reopenOne }, higherIsBetter: false })

    // ---- create and clone: empty, at the head, at a snapshot
    await db.checkpoint()
    const create: number[] = []
    for (let i = 0; i < Math.min(100, tenants); i++) create.push(await time(() => db.createTenant(`e${i}`)))
    rows.push({ workload: `createTenant() (empty), median of ${create.length} in a store of ${size}`, unit: 'ms', cowdb: median(create), peers: {}, higherIsBetter: false, note: 'one WAL record' })
    const atHead: number[] = []
    const atSnap: number[] = []
    const clones = Math.min(100, tenants)
    const created = (await db.stats()).pagesCreated
    for (let i = 0; i < clones; i++) {
      const src = db.tenant(names[i]!)
      atHead.push(await time(() => src.clone(`h${i}`)))
      const snap = await src.snapshot()
      atSnap.push(await time(() => src.clone(`s${i}`, { snapshot: snap.id })))
    }
    if ((await db.stats()).pagesCreated !== created) throw new Error('tenants bench: a clone copied pages')
    rows.push({ workload: `clone a tenant at its head, median of ${clones}`, unit: 'ms', cowdb: median(atHead), peers: { 'createTenant() (empty)': median(create) }, higherIsBetter: false, note: 'O(1): no page copied' })
    rows.push({ workload: `clone a tenant at one of its snapshots, median of ${clones}`, unit: 'ms', cowdb: median(atSnap), peers: { 'createTenant() (empty)': median(create) }, higherIsBetter: false })

    // ---- the space each tenant alone holds, and metrics() with every tenant (labels bounded)
    await db.checkpoint()
    // the walk behind it yields every 256 pages: a writer committing all along waits at most a step
    let writing = true
    let longest = 0
    let during = 0
    const writer = (async () => {
      while (writing) {
        const t = performance.now()
        await db.put(Math.floor(rand() * keys), value, { branch: names[Math.floor(rand() * tenants)]! })
        longest = Math.max(longest, performance.now() - t)
        during++
        await new Promise((r) => setImmediate(r)) // an app between commits
      }
    })()
    const spaceMs = await time(() => db.tenants({ space: true }))
    writing = false
    await writer
    const metricsMs = await timeIt(5, async () => void (await db.metrics()))
    const plain = await open(dirs[2]!, OPTS)
    await plain.createTenant('only')
    await plain.batch(fill(), { branch: 'only' })
    await plain.checkpoint()
    const metricsOne = await timeIt(5, async () => void (await plain.metrics()))
    rows.push({ workload: `tenants({ space: true }) over ${size} and ${2 * clones} clones, a writer committing all along`, unit: 'ms', cowdb: spaceMs, peers: {}, higherIsBetter: false, note: 'a walk of every live page in steps, a shared page once per sharer' })
    rows.push({ workload: `longest commit wait while it ran (${during} commits meanwhile)`, unit: 'ms', cowdb: longest, peers: { 'the whole walk': spaceMs }, higherIsBetter: false })
    rows.push({ workload: `metrics() with ${size} (50 labelled + __other__), median of 5`, unit: 'ms', cowdb: metricsMs, peers: { 'one tenant': metricsOne }, higherIsBetter: false, note: 'the walk above is reused for a minute' })

    // ---- commits per second: spread over every tenant, against one tenant (alone in its store, and in this store)
    const n = commitCount
    const across = await commits(db, n, () => names[Math.floor(rand() * tenants)]!, keys, rand)
    const sameStore = await commits(db, n, () => names[0]!, keys, rand)
    const alone = await commits(plain, n, () => 'only', keys, rand)
    rows.push({ workload: `durable put, each to a random tenant of ${tenants.toLocaleString('en-US')} (${n.toLocaleString('en-US')} commits)`, unit: 'commits/s', cowdb: across, peers: { 'one tenant alone in its store': alone, 'one tenant of this store': sameStore }, higherIsBetter: true })
    const acrossG = await grouped(db, n / 16, () => names[Math.floor(rand() * tenants)]!, keys, rand)
    const aloneG = await grouped(plain, n / 16, () => 'only', keys, rand)
    rows.push({ workload: '16 writers at a time (group commit), each put to a random tenant', unit: 'commits/s', cowdb: acrossG, peers: { 'one tenant alone in its store': aloneG }, higherIsBetter: true })
    await plain.close()

    // ---- drop: the call (clones own nothing; loaded tenants own their pages), then the pages back
    const dropClone: number[] = []
    for (let i = 0; i < clones; i++) {
      dropClone.push(await time(() => db.dropTenant(`h${i}`)))
      await db.dropTenant(`s${i}`)
      await db.dropTenant(`e${i}`)
    }
    await db.checkpoint()
    const runs0 = (await db.stats()).gcRuns as number
    await backgroundGc(db, runs0)
    const before = await db.space()
    const drops = Math.min(100, tenants)
    const dropOwn: number[] = []
    const t0 = performance.now()
    for (let i = 0; i < drops; i++) dropOwn.push(await time(() => db.dropTenant(names[i]!)))
    const runs = (await db.stats()).gcRuns as number
    await backgroundGc(db, runs)
    const reclaim = performance.now() - t0
    const after = await db.space()
    rows.push({ workload: `dropTenant() of a clone (it owns no page), median of ${clones}`, unit: 'ms', cowdb: median(dropClone), peers: {}, higherIsBetter: false })
    rows.push({ workload: `dropTenant() of a loaded tenant, median of ${drops}`, unit: 'ms', cowdb: median(dropOwn), peers: { 'createTenant() (empty)': median(create) }, higherIsBetter: false })
    rows.push({
      workload: `drop ${drops} loaded tenants, until the background gc gave their pages back`,
      unit: 'ms',
      cowdb: reclaim,
      peers: {},
      higherIsBetter: false,
      note: `${(before.reachable - after.reachable).toLocaleString('en-US')} of ${before.reachable.toLocaleString('en-US')} live pages freed, leaked ${after.leaked}; includes the gc's debounce (2 × checkpointDelayMs = 200 ms)`,
    })
    if (after.leaked !== 0 || after.reachableButFree !== 0) throw new Error(`tenants bench: space after the drops ${JSON.stringify(after)}`)
    await db.close()
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  }
  return rows
}
