// Sync in Chromium: two persistent profiles are two devices, each syncing its own OPFS database
// (opened with @cowdb/sync's worker, which runs the sync; the faults test, with a custom fetch,
// runs it in the page), through a sync server process on PGlite (or, when COWDB_SYNC_POSTGRES is
// set, two server processes on that Postgres, one per device).
import { test, expect, type BrowserContext, type Page } from '@playwright/test'
import { rmSync } from 'node:fs'
import { launchPersistent } from './fixtures'
import { freePort } from './ports'
import { signToken } from '../packages/sync/src/server/auth'
import { pgliteDir, serverProcess, type ServerProcess } from '../packages/sync/test/process'

const SECRET = 'e2e-secret-0123456789'
const POSTGRES = process.env.COWDB_SYNC_POSTGRES
/** The servers' ports: free when the suite begins, kept across a server's restart. */
let PORTS: number[] = []
let dir = ''
let servers: ServerProcess[] = []
let run = 0

/** Starts (or restarts) server i on its port, on the shared store. */
function startServer(i: number): Promise<ServerProcess> {
  const store = POSTGRES ? ['--postgres', POSTGRES] : ['--data', dir]
  return serverProcess(['--port', String(PORTS[i]), ...store, '--secret', SECRET, '--part-bytes', '16384', '--page-bytes', '16384', '--poll-ms', '300'])
}

test.beforeAll(async () => {
  PORTS = [await freePort(), await freePort()]
  if (!POSTGRES) dir = await pgliteDir()
  servers = [await startServer(0)]
  if (POSTGRES) servers.push(await startServer(1)) // a second process on the same database
})
test.afterAll(async () => {
  for (const s of servers) await s.stop().catch(() => {})
  if (dir) rmSync(dir, { recursive: true, force: true })
})

type Device = { context: BrowserContext; page: Page; close: () => Promise<void>; server: number }

async function openDevice(server: number): Promise<Device> {
  const { context, close } = await launchPersistent()
  const page = context.pages()[0] ?? (await context.newPage())
  page.on('pageerror', (e) => console.error('page error:', e))
  return { context, page, close, server }
}

/** Opens database `name` in the device's page and starts syncing it (optionally with a union resolver). */
async function startSync(d: Device, name: string, opts: { union?: boolean; dupFetch?: boolean } = {}) {
  if (!/sync\.html/.test(d.page.url())) await d.page.goto('/test/sync.html')
  await expect(d.page.locator('body')).toHaveText('ready')
  const url = `http://127.0.0.1:${PORTS[d.server]}/db/${name}`
  await d.page.evaluate(
    async ({ url, token, name, union, dupFetch }) => {
      const w = window as any
      // @cowdb/sync's worker: the worker that owns the database runs the sync (a custom fetch cannot cross to it: the page runs it then)
      w.db = await w.cowdb.openDB(name, { retention: { keepLast: 50 }, ...(dupFetch ? {} : { worker: w.cowdbSync.syncWorker() }) })
      const options: any = { url, token, backoff: { minMs: 100, maxMs: 1000 }, intervalMs: 5000 }
      if (union) options.resolve = (_k: unknown, _b: unknown, local: string[] = [], remote: string[] = []) => [...new Set([...local, ...remote])].sort()
      if (dupFetch) {
        // every write request sent twice, and now and then an old one again, late
        const sent: [RequestInfo | URL, RequestInit | undefined][] = []
        options.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
          const write = init?.method === 'POST' || init?.method === 'PUT'
          const first = await fetch(input, init)
          if (write) {
            sent.push([input, init])
            await fetch(input, init)
            if (sent.length > 1 && Math.random() < 0.5) await fetch(...sent[Math.floor(Math.random() * sent.length)]!)
          }
          return first
        }
      }
      w.sync = await w.cowdbSync.sync(w.db, options)
      w.sync.addEventListener('progress', (e: CustomEvent) => w.onSyncProgress?.(e.detail))
    },
    { url, token: signToken(SECRET, { db: name }), name, union: !!opts.union, dupFetch: !!opts.dupFetch },
  )
}

const contents = (d: Device) => d.page.evaluate(async () => (window as any).db.scan({ limit: 100_000 }))
const status = (d: Device) => d.page.evaluate(() => (window as any).sync.status)

/** Waits until every device is idle at the same cursor with the same contents; returns them. */
async function converged(devices: Device[], timeout = 60_000): Promise<unknown> {
  let last: unknown
  await expect
    .poll(
      async () => {
        const states = await Promise.all(devices.map(contents))
        const statuses = await Promise.all(devices.map(status))
        last = states[0]
        const same = states.every((s) => JSON.stringify(s) === JSON.stringify(states[0]))
        return same && statuses.every((s) => s.state === 'idle' && s.cursor === statuses[0].cursor && s.cursor === s.head)
      },
      { timeout, intervals: [100, 250, 500] },
    )
    .toBe(true)
  return last
}

test('two devices edit offline, the same keys too, reconnect and converge; deleteRange, undo and the handle\'s undo reach the other', async () => {
  const name = `notes-${Date.now()}-${run++}`
  const a = await openDevice(0)
  const b = await openDevice(servers.length - 1)
  try {
    await startSync(a, name)
    await startSync(b, name)
    await a.page.evaluate(async () => {
      const db = (window as any).db
      for (let i = 0; i < 10; i++) await db.put(`todo:${i}`, { text: `todo ${i}`, done: false })
      await db.put('title', 'v0')
    })
    await converged([a, b])
    expect((await status(a)).worker).toBe(true) // run by the worker, not the page

    await a.context.setOffline(true)
    await b.context.setOffline(true)
    await a.page.evaluate(async () => {
      const db = (window as any).db
      await db.put('title', 'from A')
      await db.put('a:only', 1)
      await db.deleteRange({ gte: 'todo:0', lt: 'todo:5' })
    })
    await expect.poll(() => status(a).then((s) => s.state)).toBe('offline')
    await new Promise((r) => setTimeout(r, 50)) // B's edit of the title is the later commit
    await b.page.evaluate(async () => {
      const db = (window as any).db
      await db.put('title', 'from B')
      await db.put('b:only', 2)
    })
    await a.context.setOffline(false)
    await b.context.setOffline(false)
    const state = (await converged([a, b])) as [unknown, unknown][]
    expect(state).toEqual([
      ['a:only', 1],
      ['b:only', 2],
      ['title', 'from B'],
      ...[5, 6, 7, 8, 9].map((i) => [`todo:${i}`, { text: `todo ${i}`, done: false }]),
    ])
    expect((await status(a)).conflicts + (await status(b)).conflicts).toBe(1)

    // undo on A reaches B
    await a.page.evaluate(() => (window as any).db.put('note', 'draft 1'))
    await converged([a, b])
    await a.page.evaluate(() => (window as any).db.put('note', 'draft 2'))
    await converged([a, b])
    await a.page.evaluate(() => (window as any).db.undo())
    await converged([a, b])
    expect(await b.page.evaluate(() => (window as any).db.get('note'))).toBe('draft 1')

    // the handle's undo right after a merge: A's own last edit goes, B's merged edit stays (db.undo() would take it out)
    await a.page.evaluate(() => (window as any).db.put('note', 'draft 3'))
    await converged([a, b])
    await b.page.evaluate(() => (window as any).db.put('b:late', 'kept'))
    await converged([a, b]) // A's last commit is now the merge of B's edit
    expect(await a.page.evaluate(() => (window as any).sync.undo())).toEqual({ changed: ['note'], kept: [] })
    const undone = (await converged([a, b])) as [unknown, unknown][]
    expect(undone).toContainEqual(['b:late', 'kept'])
    expect(undone).toContainEqual(['note', 'draft 1'])
    expect(await a.page.evaluate(() => (window as any).sync.redo())).toEqual({ changed: ['note'], kept: [] })
    expect(await converged([a, b])).toContainEqual(['note', 'draft 3'])
  } finally {
    await a.close()
    await b.close()
  }
})

test('a custom resolver merges concurrent edits of one key, once, and both devices get its result', async () => {
  const name = `tags-${Date.now()}-${run++}`
  const a = await openDevice(0)
  const b = await openDevice(servers.length - 1)
  try {
    await startSync(a, name, { union: true })
    await startSync(b, name, { union: true })
    await a.page.evaluate(() => (window as any).db.put('tags', ['base']))
    await converged([a, b])
    await a.context.setOffline(true)
    await b.context.setOffline(true)
    await a.page.evaluate(() => (window as any).db.put('tags', ['base', 'from-a']))
    await b.page.evaluate(() => (window as any).db.put('tags', ['base', 'from-b']))
    await a.context.setOffline(false)
    await b.context.setOffline(false)
    expect(await converged([a, b])).toEqual([['tags', ['base', 'from-a', 'from-b']]])
  } finally {
    await a.close()
    await b.close()
  }
})

test('faults: server killed mid-push and mid-pull, a page closed mid-merge, duplicated and replayed requests', async () => {
  test.setTimeout(240_000)
  const name = `faults-${Date.now()}-${run++}`
  const a = await openDevice(0)
  const b = await openDevice(servers.length - 1)
  try {
    await startSync(a, name, { dupFetch: true })
    await startSync(b, name)
    await a.page.evaluate(() => (window as any).db.put('hello', 'a'))
    await converged([a, b])

    // the server dies while A pushes 600 KB in 16 KiB parts, and again while B pulls it
    let killing: Promise<void> | undefined
    let restarted: Promise<void> | undefined
    const killOnce = (i: number) => {
      if (killing) return
      killing = servers[i]!.kill()
      restarted = killing.then(async () => void (servers[i] = await startServer(i)))
    }
    await a.page.exposeFunction('killServer', () => killOnce(0))
    await a.page.evaluate(() => {
      const w = window as any
      w.onSyncProgress = (p: { phase: string; done: number }) => p.phase === 'push' && p.done >= 5 * 16384 && w.killServer()
    })
    await a.page.evaluate(() => (window as any).db.batch(Array.from({ length: 60 }, (_, i) => ({ type: 'put', key: `big:${i}`, value: 'x'.repeat(10_000) }))))
    await expect.poll(() => killing !== undefined, { timeout: 60_000 }).toBe(true)
    await restarted
    killing = undefined
    await b.page.exposeFunction('killServer', () => killOnce(servers.length - 1))
    await b.page.evaluate(() => {
      const w = window as any
      w.onSyncProgress = (p: { phase: string }) => p.phase === 'pull' && w.killServer()
    })
    await expect.poll(() => killing !== undefined, { timeout: 60_000 }).toBe(true)
    await restarted
    await converged([a, b], 120_000)
    await b.page.evaluate(() => ((window as any).onSyncProgress = undefined))

    // B's page closes while it merges 3,000 keys from A; a new page of that profile resumes
    let closed: Promise<void> | undefined
    await b.page.exposeFunction('mergeStarted', () => void (closed ??= b.page.close()))
    await b.page.evaluate(() => {
      const w = window as any
      w.onSyncProgress = (p: { phase: string }) => p.phase === 'merge' && w.mergeStarted()
    })
    await b.page.evaluate(() => (window as any).db.put('b:before-close', true))
    await a.page.evaluate(() => (window as any).db.batch(Array.from({ length: 3000 }, (_, i) => ({ type: 'put', key: `m:${String(i).padStart(4, '0')}`, value: i }))))
    await expect.poll(() => closed !== undefined, { timeout: 60_000 }).toBe(true)
    await closed
    b.page = await b.context.newPage()
    await startSync(b, name)
    const state = (await converged([a, b], 120_000)) as [string, unknown][]
    expect(state.filter(([k]) => k.startsWith('m:'))).toHaveLength(3000)
    expect(state.filter(([k]) => k.startsWith('big:'))).toHaveLength(60)
    expect(state).toContainEqual(['b:before-close', true])

    // nothing applied twice: every change set on the server is distinct
    const token = signToken(SECRET, { db: name })
    const head = (await (await fetch(`http://127.0.0.1:${PORTS[0]}/db/${name}/head`, { headers: { authorization: `Bearer ${token}` } })).json()).seq
    const { decodePullPage } = await import('../packages/sync/src/protocol')
    const seen = new Set<string>()
    let q = 'from=1'
    const bodies = new Map<number, string>()
    for (;;) {
      const page = decodePullPage(new Uint8Array(await (await fetch(`http://127.0.0.1:${PORTS[0]}/db/${name}/pull?${q}`, { headers: { authorization: `Bearer ${token}` } })).arrayBuffer()))
      for (const e of page.entries) bodies.set(e.seq, (bodies.get(e.seq) ?? '') + Buffer.from(e.key).toString('hex') + (e.value ? Buffer.from(e.value).toString('hex') : '-') + e.hlc)
      if (!page.next) break
      q = `from=${page.next.seq}&idx=${page.next.idx}&offset=${page.next.offset}`
    }
    expect(bodies.size).toBe(head)
    for (const body of bodies.values()) {
      expect(seen.has(body)).toBe(false)
      seen.add(body)
    }
  } finally {
    await a.close()
    await b.close()
  }
})
