import { mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open } from '@cowdb/node'
import { prng } from './measure.ts'
const size = (d: string, f: string) => { try { return statSync(join(d, f)).size } catch { return 0 } }
async function go(seq: boolean, vlen: number) {
  const value = (i: number) => new Uint8Array(vlen).fill(i & 255)
  const fd = mkdtempSync(join(tmpdir(), 'cowdb-exp-'))
  const f = await open(fd, { checkpointDelayMs: 0 })
  await f.batch(Array.from({ length: 2000 }, (_, k) => ({ type: 'put' as const, key: k, value: value(k) })))
  await f.close()
  const fresh = size(fd, 'pages')
  const dir = mkdtempSync(join(tmpdir(), 'cowdb-exp-'))
  const db = await open(dir, { retention: { keepLast: 5 } })
  const r = prng(3)
  for (let done = 0; done < 200_000; done += 100) {
    await db.batch(Array.from({ length: 100 }, (_, j) => ({ type: 'put' as const, key: seq ? (done + j) % 2000 : Math.floor(r() * 2000), value: value(done + j) })))
  }
  const sp = await db.space()
  const wal = size(dir, 'wal')
  await db.close()
  console.log(`seq=${seq} vlen=${vlen}: fresh ${fresh} pages ${(size(dir, 'pages') / fresh).toFixed(2)}x wal-before-close ${(wal / 1e6).toFixed(2)}MB reachable ${(sp.reachable * 4096 / fresh).toFixed(2)}x`)
}
for (const [s, v] of [[false, 100], [true, 100], [false, 200], [true, 200]] as const) await go(s, v)
