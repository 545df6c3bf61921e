// scratch experiment (not committed)
import { mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open } from '@cowdb/node'
import { prng } from './measure.ts'
const dirBytes = (d: string) => readdirSync(d).reduce((s, f) => s + statSync(join(d, f)).size, 0)
const files = (d: string) => readdirSync(d).map((f) => `${f}=${(statSync(join(d, f)).size / 1024).toFixed(0)}K`).join(' ')
async function fresh(keys: number, value: (i: number) => Uint8Array) {
  const dir = mkdtempSync(join(tmpdir(), 'cowdb-exp-'))
  const db = await open(dir, { checkpointDelayMs: 0 })
  await db.batch(Array.from({ length: keys }, (_, k) => ({ type: 'put' as const, key: k, value: value(k) })))
  await db.close()
  const b = dirBytes(dir)
  rmSync(dir, { recursive: true, force: true })
  return b
}
async function run(name: string, keys: number, total: number, per: number, keepLast: number, samples: number) {
  const value = (i: number) => new Uint8Array(100).fill(i & 255)
  const f = await fresh(keys, value)
  const dir = mkdtempSync(join(tmpdir(), 'cowdb-exp-'))
  const db = await open(dir, { checkpointDelayMs: 50, retention: { keepLast } })
  const r = prng(3)
  const t0 = performance.now()
  let max = 0
  for (let done = 0; done < total; done += per) {
    await db.batch(Array.from({ length: per }, (_, j) => ({ type: 'put' as const, key: Math.floor(r() * keys), value: value(done + j) })))
    const b = dirBytes(dir)
    max = Math.max(max, b)
    if ((done + per) % (total / samples) === 0) {
      const st = await db.stats()
      console.log(`${name} ${done + per}: dir ${(b / f).toFixed(2)}x (max ${(max / f).toFixed(2)}x) ${files(dir)} live ${st.pagesLive} free ${st.pagesFree} ckpts ${st.checkpoints} gc ${st.gcRuns} gcfreed ${(db as any).space_.pagesFreed} deadlists ${st.pagesInDeadlists} compactions ${(db as any).space_.compactions} ${((performance.now() - t0) / 1000).toFixed(1)}s`)
    }
  }
  const t = performance.now()
  await db.close()
  console.log(`${name} close ${(performance.now() - t).toFixed(0)} ms; after close ${(dirBytes(dir) / f).toFixed(2)}x ${files(dir)} fresh ${(f / 1024).toFixed(0)}K`)
  rmSync(dir, { recursive: true, force: true })
}
const which = process.argv[2] ?? 'both'
if (which !== 'small') await run('soak', 10_000, Number(process.argv[3] ?? 200_000), 10, 10, 10)
if (which !== 'soak') await run('small', 2_000, 200_000, 100, 5, 5)
