import { sortedOrder } from '../packages/core/src/keysort.ts'
import { encodeKey, compareKeys } from '../packages/core/src/keys.ts'
import { dataset } from './measure.ts'

function sortedOrder2(keys: readonly Uint8Array[]): Uint32Array {
  const n = keys.length
  const order = new Uint32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  const idxBits = Math.max(1, Math.ceil(Math.log2(n + 1)))
  const B = idxBits <= 20 ? 4 : idxBits <= 28 ? 3 : 2
  const scale = 2 ** idxBits
  const vals = new Float64Array(n)
  const todo: number[] = [0, n, 0]
  while (todo.length) {
    const depth = todo.pop()!, hi = todo.pop()!, lo = todo.pop()!
    for (let i = lo; i < hi; i++) {
      const k = keys[order[i]!]!
      let p = 0
      for (let j = depth; j < depth + B; j++) p = p * 257 + (j < k.length ? k[j]! + 1 : 0)
      vals[i] = p * scale + order[i]!
    }
    const part = vals.subarray(lo, hi)
    part.sort()
    let runStart = lo
    let runPrefix = Math.floor(vals[lo]! / scale)
    for (let i = lo; i <= hi; i++) {
      const p = i < hi ? Math.floor(vals[i]! / scale) : -1
      if (i < hi) order[i] = vals[i]! - p * scale
      if (p !== runPrefix) {
        if (i - runStart > 1 && runPrefix % 257 !== 0) todo.push(runStart, i, depth + B)
        runStart = i
        runPrefix = p
      }
    }
  }
  return order
}
const { keys: raw } = dataset(100_000)
const sets: [string, Uint8Array[]][] = [
  ['random k+hex', raw.map((k) => encodeKey(k))],
  ['ints', Array.from({ length: 100000 }, (_, i) => encodeKey((i * 7919) % 100000))],
  ['shared prefix', Array.from({ length: 100000 }, (_, i) => encodeKey(`user/profile/settings/${(i * 7919) % 100000}`))],
]
for (const [name, keys] of sets) {
  const ref = keys.map((_, i) => i).sort((a, b) => compareKeys(keys[a]!, keys[b]!))
  for (const [fname, f] of [['radix', sortedOrder], ['float64 sort', sortedOrder2]] as const) {
    const times: number[] = []
    let out!: Uint32Array
    for (let r = 0; r < 7; r++) { const t = performance.now(); out = f(keys); times.push(performance.now() - t) }
    times.sort((a, b) => a - b)
    const ok = out.every((v, i) => v === ref[i])
    console.log(name.padEnd(14), fname.padEnd(13), 'median', times[3]!.toFixed(1), 'ms', ok ? 'ok' : 'WRONG')
  }
  const t = performance.now(); const s = keys.map((_, i) => i).sort((a, b) => compareKeys(keys[a]!, keys[b]!)); console.log(name.padEnd(14), 'comparator sort', (performance.now() - t).toFixed(1), 'ms')
}
