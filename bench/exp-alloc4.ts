import { Session } from 'node:inspector/promises'
import { Database, MemoryStorage } from '../packages/core/src/index.ts'
import { dataset } from './measure.ts'
const n = 100_000
const { keys, value } = dataset(n)
const userOps = keys.map((key) => ({ type: 'put' as const, key, value }))
const s = new Session(); s.connect()
// warm up
{ const db = await Database.open(new MemoryStorage(), { checkpointDelayMs: 0 }); await db.batch(userOps); await db.close() }
await s.post('HeapProfiler.enable')
await s.post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as any)
{ const db = await Database.open(new MemoryStorage(), { checkpointDelayMs: 0 }); await db.batch(userOps); await db.close() }
const { profile } = await s.post('HeapProfiler.stopSampling') as any
const self = new Map<string, number>()
const walk = (node: any, path: string[]) => {
  const f = node.callFrame
  const k = `${f.functionName || '(anon)'} ${f.url.split('/').slice(-1)[0]}:${f.lineNumber + 1}`
  const p = [...path, k]
  if (node.selfSize) self.set(k, (self.get(k) ?? 0) + node.selfSize)
  if (node.selfSize > 10 * n && (k.startsWith('next') || k.startsWith('(anon) ops'))) console.log((node.selfSize / n).toFixed(0), p.slice(-6).join(' <- '))
  for (const c of node.children) walk(c, p)
}
walk(profile.head, [])
const total = [...self.values()].reduce((a, b) => a + b, 0)
console.log('total', (total / n).toFixed(0), 'B/key')
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log((v / n).toFixed(0).padStart(5), 'B/key', k)
