// On a real Postgres (COWDB_SYNC_POSTGRES, set by `npm test`'s Postgres step): two server
// processes on one database, a device on each (the live channel crosses them by LISTEN/NOTIFY),
// migrations raced by servers starting together, one killed mid-push, and kills at random under
// three writing devices. In that step the server contract, the merge property and the Chromium
// suite run on Postgres too (harness.ts picks it up); mid-push and mid-pull kills of one server
// are in server-process.test.ts (PGlite) and the Chromium suite (both stores).
import { describe, expect, it } from 'vitest'
import { signToken } from '@cowdb/sync/server'
import { sync } from '@cowdb/sync'
import { contents, device, freshName, POSTGRES, SECRET } from './harness.js'
import { serverProcess, type ServerProcess } from './process.js'
import { killAtRandom, until, type Backend } from './scenarios.js'

const args = (port: number, pollMs = 200) => ['--port', String(port), '--postgres', POSTGRES!, '--secret', SECRET, '--part-bytes', '4096', '--page-bytes', '4096', '--poll-ms', String(pollMs)]
const start: Backend = () => serverProcess(args(5316))

describe.skipIf(!POSTGRES)('on Postgres', () => {
  it('two server processes: migrations raced at start, a device on each, live across them, one killed mid-push', async () => {
    // no poll of the heads (10 min): what crosses from one process to the other is NOTIFY
    const two = (port: number) => serverProcess(args(port, 600_000))
    let [s1, s2]: ServerProcess[] = await Promise.all([two(5316), two(5317)])
    const name = freshName('two')
    const token = signToken(SECRET, { db: name })
    const a = await device()
    const b = await device()
    // devices sync on their own: on local commits and on the live channel only (no timer)
    const sa = await sync(a.db, { url: `${s1.url}/db/${name}`, token, backoff: { minMs: 50, maxMs: 300 }, intervalMs: 600_000 })
    const sb = await sync(b.db, { url: `${s2.url}/db/${name}`, token, backoff: { minMs: 50, maxMs: 300 }, intervalMs: 600_000 })
    await until(() => sa.status.live && sb.status.live)
    await a.db.put('via', 'server 1')
    await until(async () => (await b.db.get('via')) === 'server 1')
    await b.db.put('back', 'server 2')
    await until(async () => (await a.db.get('back')) === 'server 2')
    // server 1 dies while A pushes a large change; A comes back through it once it restarts
    let killing: Promise<void> | undefined
    sa.addEventListener('progress', (e) => {
      if (!killing && (e as CustomEvent).detail.phase === 'push' && (e as CustomEvent).detail.done >= 3 * 4096) killing = s1.kill()
    })
    await a.db.batch(Array.from({ length: 40 }, (_, i) => ({ type: 'put' as const, key: `big${i}`, value: 'x'.repeat(2000) })))
    await until(() => killing !== undefined)
    await killing
    s1 = await two(5316)
    await until(async () => (await b.db.count()) === 42)
    await until(async () => JSON.stringify(await contents(a.db)) === JSON.stringify(await contents(b.db)))
    await sa.stop()
    await sb.stop()
    await Promise.all([s1.stop(), s2.stop()])
  }, 180_000)

  it('server killed at random moments under three writing devices', () => killAtRandom(start, 11), 240_000)
})
