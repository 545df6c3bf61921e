import { createServer, type Server } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import parsePrometheus from 'parse-prometheus-text-format'
import { afterEach, describe, expect, it } from 'vitest'
import { metricsHandler, PROMETHEUS_CONTENT_TYPE } from './metrics-handler.js'
import { open } from './open.js'

type Family = { name: string; type: string; metrics: { value?: string; count?: string }[] }

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function store() {
  const dir = mkdtempSync(join(tmpdir(), 'cowdb-metrics-'))
  const db = await open(dir)
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  cleanups.push(() => db.close())
  return db
}

/** A real server on an ephemeral port; resolves to its base URL. */
async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server: Server = createServer(handler)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const families = (text: string) => new Map((parsePrometheus(text) as Family[]).map((f) => [f.name, f]))

describe('metricsHandler', () => {
  it('serves the store’s metrics as Prometheus text, and the numbers follow the writes', async () => {
    const db = await store()
    const url = await serve(metricsHandler(db))
    const first = await fetch(`${url}/metrics`)
    expect(first.status).toBe(200)
    expect(first.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE)
    expect(first.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const before = families(await first.text())
    for (const name of ['cow_pages_created_total', 'cow_snapshot_age_seconds', 'cow_garbage_collector_duration_seconds', 'cow_root_updates_total']) {
      expect(before.has(name), name).toBe(true)
    }
    expect(Number(before.get('cow_root_updates_total')!.metrics[0]!.value)).toBe(0)

    for (let i = 0; i < 7; i++) await db.put(`k${i}`, i)
    await db.gc()
    const after = families(await (await fetch(`${url}/anything?x=1`)).text())
    expect(Number(after.get('cow_root_updates_total')!.metrics[0]!.value)).toBe(7)
    expect(Number(after.get('cow_pages_created_total')!.metrics[0]!.value)).toBeGreaterThan(0)
    expect(Number(after.get('cow_garbage_collector_duration_seconds')!.metrics[0]!.count)).toBe(1)
  })

  it('answers HEAD without a body, other methods with 405, and many requests at once', async () => {
    const db = await store()
    const url = await serve(metricsHandler(db))
    const head = await fetch(url, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE)
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(100)
    expect(await head.text()).toBe('')
    const post = await fetch(url, { method: 'POST', body: 'x' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
    const all = await Promise.all(Array.from({ length: 20 }, () => fetch(url).then(async (r) => [r.status, (await r.text()).includes('cow_pages_live')])))
    expect(all).toEqual(Array.from({ length: 20 }, () => [200, true]))
  })

  it('with a path, serves only that path; mounted in a larger server it answers only what it is given', async () => {
    const db = await store()
    const only = await serve(metricsHandler(db, { path: '/metrics' }))
    expect((await fetch(`${only}/metrics?debug=1`)).status).toBe(200)
    const other = await fetch(`${only}/other`)
    expect(other.status).toBe(404)
    expect(await other.text()).toContain('/metrics')

    const handler = metricsHandler(db)
    const app = await serve((req, res) => (req.url === '/metrics' ? handler(req, res) : res.writeHead(200).end('app')))
    expect(await (await fetch(`${app}/`)).text()).toBe('app')
    expect(await (await fetch(`${app}/metrics`)).text()).toContain('# TYPE cow_root_updates_total counter')
  })

  it('answers 503 naming the error once the store is closed, and rejects bad arguments at once', async () => {
    const db = await store()
    const url = await serve(metricsHandler(db))
    await db.close()
    const r = await fetch(url)
    expect(r.status).toBe(503)
    expect(await r.text()).toMatch(/^cowdb metrics unavailable: ClosedError: /)
    expect(() => metricsHandler({} as never)).toThrow(TypeError)
    expect(() => metricsHandler(db, { path: 'metrics' })).toThrow(/must start with '\/'/)
  })
})
