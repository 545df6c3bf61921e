import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { contents, device, freshName, manual, startServer, type TestServer } from '../../test/harness.js'

let ts: TestServer
beforeAll(async () => {
  ts = await startServer()
})
afterAll(async () => {
  await ts?.server.close()
})

describe('sync between two devices', () => {
  it('pushes, pulls and converges', async () => {
    const name = freshName()
    const a = await device()
    const b = await device()
    await a.db.put('x', 1)
    await a.db.put('y', { n: 2 })
    const sa = await manual(ts, a.db, name)
    const sb = await manual(ts, b.db, name)
    await sa.syncNow()
    await sb.syncNow()
    expect(await contents(b.db)).toEqual([['x', 1], ['y', { n: 2 }]])
    await b.db.delete('x')
    await b.db.put('z', 'zz')
    await sb.syncNow()
    await sa.syncNow()
    expect(await contents(a.db)).toEqual([['y', { n: 2 }], ['z', 'zz']])
    expect(sa.status.cursor).toBe(sb.status.cursor)
    await sa.stop()
    await sb.stop()
  })
})
