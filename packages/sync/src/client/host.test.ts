// Sync hosted by the worker that owns a browser database (host.ts), in Node: the "worker" is a
// SyncHost on a core Database plus a responder for the owner's `hosts?` query (what
// @cowdb/browser's serve answers); the "page" is the same Database seen as a browser client (a
// name and role()). The page's handle only mirrors; the host runs the rounds, asks the page for
// tokens and conflict resolutions, and a new owner's host resumes from the saved state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Database } from '@cowdb/core'
import { sync, type SyncHandle } from '@cowdb/sync'
import { contents, device, freshName, manual, startServer, until, type TestServer } from '../../test/harness.js'
import { hostedEngine } from './engine.js'
import { SyncHost } from './host.js'

let ts: TestServer
beforeAll(async () => {
  ts = await startServer()
})
afterAll(async () => {
  await ts?.server.close()
})

/** An owner worker for database `name`: a SyncHost (or none), answering the pages' `hosts?` query. */
function owner(db: Database, name: string, hosting = true) {
  const hosts = new BroadcastChannel(`cowdb-hosts:${name}`)
  hosts.onmessage = (e) => e.data.t === 'hosts?' && hosts.postMessage({ t: 'hosts', to: e.data.from, hosts: hosting ? ['sync'] : [] })
  const host = hosting ? new SyncHost(db, name, hostedEngine) : undefined
  return {
    async close() {
      await host?.close()
      hosts.close()
    },
  }
}

/** The database as a page's client sees it: it has a name and a role. */
const asPage = (db: Database, name: string) => new Proxy(db, { get: (t, p) => (p === 'name' ? name : p === 'role' ? async () => 'leader' : Reflect.get(t, p, t)) })

describe('sync hosted by the owning worker', () => {
  it('the page mirrors, the host runs; tokens and a resolver come from the page; a new owner resumes', async () => {
    const remoteDb = freshName()
    const name = freshName('local')
    const a = await device()
    const b = await device()
    let host = owner(a.db, name)
    let tokens = 0
    const resolved: unknown[] = []
    const page = asPage(a.db, name)
    const handle = await sync(page, {
      url: ts.dbUrl(remoteDb),
      token: () => (tokens++, ts.token(remoteDb)),
      resolve: (key, _base, local, remote) => (resolved.push(key), `${local}+${remote}`),
      auto: false,
    })
    expect(handle.status).toMatchObject({ runner: false })
    await until(() => handle.status.worker === true, 10_000, 'the host announced itself')
    expect(handle.status.device).not.toBe('')

    await a.db.put('k', 'a')
    expect(await handle.syncNow()).toMatchObject({ runner: false, worker: true, cursor: 1 })
    expect(tokens).toBeGreaterThan(0) // the host asked the page
    const sb = await manual(ts, b.db, remoteDb)
    await sb.syncNow()
    expect(await b.db.get('k')).toBe('a')

    // a conflict: the host asks the page's resolver, whose result reaches both
    await b.db.put('k', 'b')
    await a.db.put('k', 'a2')
    await sb.syncNow()
    await handle.syncNow()
    expect(resolved).toEqual(['k'])
    expect(await a.db.get('k')).toBe('a2+b')
    await handle.syncNow() // the resolver's value is a new local write, pushed like any other
    await sb.syncNow()
    expect(await b.db.get('k')).toBe('a2+b')

    // the owner goes (its worker ends): the next owner's host resumes, the page's handle goes on
    await host.close()
    host = owner(a.db, name)
    await handle.syncNow() // waits for the next runner: the new host
    await a.db.put('after', 1)
    const before = handle.status.cursor
    expect(await handle.syncNow()).toMatchObject({ worker: true, cursor: before + 1 })
    await sb.syncNow()
    expect(await contents(b.db)).toEqual(await contents(a.db))

    // undo through the host: this device's last edit (since that host runs)
    expect(await handle.undo()).toEqual({ changed: ['after'], kept: [] })
    expect(await a.db.get('after')).toBeUndefined()

    await handle.stop()
    await sb.stop()
    await host.close()
  })

  it('an owner that hosts nothing: the page runs the sync itself, at once', async () => {
    const remoteDb = freshName()
    const name = freshName('local')
    const a = await device()
    const host = owner(a.db, name, false)
    const handle: SyncHandle = await sync(asPage(a.db, name), { url: ts.dbUrl(remoteDb), token: ts.token(remoteDb), auto: false })
    expect(handle.status).toMatchObject({ runner: true, worker: false })
    await a.db.put('x', 1)
    expect(await handle.syncNow()).toMatchObject({ cursor: 1 })
    await handle.stop()
    await host.close()
  })
})
