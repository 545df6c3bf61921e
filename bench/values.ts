// The value codec (issue #13): cowdb's own structured-clone codec (encodeValue/decodeValue)
// beside the codec it replaced (msgpackr with two extensions: bench/baseline/values-msgpackr.ts,
// a copy of the old values.ts), measured in the same run, interleaved, on the same values.
// Also cbor-x (structured-clone mode) and JSON over TextEncoder for scale; JSON cannot keep
// Uint8Array, Date, bigint, Map, so it is a speed floor, not an option.
// The budget: encode + decode of the whole mix at most 1.25x the old codec's time.
import { Encoder } from 'cbor-x'
import { decodeValue, encodeValue } from '@cowdb/core'
import * as before from './baseline/values-msgpackr.ts'
import { median, prng, type Row } from './measure.ts'

type Codec = { encode: (v: unknown) => Uint8Array; decode: (b: Uint8Array) => unknown }

/** The value mix: shapes apps store. */
export function valueMix(): [string, unknown][] {
  const r = prng(7)
  const word = () => ['alpha', 'beta', 'gamma', 'delta', 'omega', 'kappa'][Math.floor(r() * 6)]!
  return [
    ['100-byte Uint8Array', new Uint8Array(100).map((_, i) => i)],
    ['small object { title, done, n }', { title: 'Groceries', done: false, n: 42 }],
    ['1 KB object (20 fields, nested array)', Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`field${i}`, i % 3 ? `value number ${i}` : [i, i * 2, { x: i }]]))],
    ['Date + bigint + Map', { at: new Date(0), big: 2n ** 70n, tags: new Map([['a', 1], ['b', 2]]) }],
    ['100 records (array of objects)', Array.from({ length: 100 }, (_, i) => ({ id: i, name: `${word()} ${word()}`, email: `user${i}@example.com`, active: i % 2 === 0, score: Math.round(r() * 1e4) / 100, tags: [word(), word()], updatedAt: 1_700_000_000_000 + i }))],
    ['1,000 numbers (ints and floats)', Array.from({ length: 1000 }, (_, i) => (i % 2 ? i * 31 : r() * 1000))],
    ['8 KB ASCII text', 'The quick brown fox jumps over the lazy dog. '.repeat(182)],
    ['non-ASCII text (1,000 chars)', 'Grüße, 世界! Ça va? ñandú '.repeat(40)],
    ['Float64Array(1,000)', new Float64Array(1000).map((_, i) => i / 7)],
    ['nested document (5 levels)', { doc: { meta: { author: { name: 'Ada', roles: ['admin', 'dev'], prefs: { theme: 'dark', size: 12 } } }, body: Array.from({ length: 10 }, (_, i) => ({ p: `paragraph ${i}`, marks: [i, i + 1] })) } }],
  ]
}

/** Values only the new codec keeps (the old one rejected or lost them): measured alone. */
function newOnly(): [string, unknown][] {
  const shared = { id: 1, label: 'shared' }
  const cyclic: Record<string, unknown> = { name: 'root', children: [] }
  ;(cyclic.children as unknown[]).push({ parent: cyclic }, { parent: cyclic })
  return [
    ['shared references and a cycle', { a: shared, b: shared, tree: cyclic }],
    ['Error + RegExp + boxed', { err: new TypeError('bad', { cause: 'x' }), re: /a+b/gi, n: new Number(3) }],
  ]
}

/** The first four shapes of the mix; the browser bench (client-cost.ts) sends the same ones. */
export const samples: [string, unknown][] = valueMix().slice(0, 4)

const cbor = new Encoder({ structuredClone: true })
const utf8 = new TextEncoder()
const utf8d = new TextDecoder()
const codecs: Record<string, Codec> = {
  cowdb: { encode: encodeValue, decode: decodeValue },
  'before (msgpackr)': { encode: before.encodeValue, decode: before.decodeValue },
  'cbor-x': { encode: (v) => cbor.encode(v), decode: (b) => cbor.decode(b) },
  JSON: { encode: (v) => utf8.encode(JSON.stringify(v)), decode: (b) => JSON.parse(utf8d.decode(b)) },
}

/**
 * Milliseconds per operation of `fn`, over a batch of `n`: CPU time of this process (user +
 * system, GC threads included), not wall time, so that other processes on a busy machine
 * weigh less on the figure.
 */
function msPer(fn: () => void, n: number): number {
  const t = process.cpuUsage()
  for (let i = 0; i < n; i++) fn()
  const d = process.cpuUsage(t)
  return (d.user + d.system) / 1000 / n
}

type Figures = { encode: number; decode: number; size: number } | string

function measure(codec: Codec, value: unknown, n: number): Figures {
  try {
    const bytes = codec.encode(value)
    codec.decode(bytes)
    return { encode: msPer(() => codec.encode(value), n), decode: msPer(() => codec.decode(bytes), n), size: bytes.length }
  } catch (e) {
    return `cannot: ${(e as Error).message.split('\n')[0]!.slice(0, 40)}`
  }
}

/** Enough operations for a batch of about 10 ms. */
function batchSize(value: unknown): number {
  const t = performance.now()
  let n = 0
  while (performance.now() - t < 5) {
    encodeValue(value)
    n++
  }
  return Math.max(20, n * 2)
}

/**
 * Rows: per value, encode/s, decode/s and bytes for each codec, then the mix total (the budget
 * line). Codecs take turns, batch by batch, so drift and other load hit all alike; each figure
 * is the median of `reps` batches of about 10 ms.
 */
export function valueCodecs(scale = 1, reps = 15): Row[] {
  const rows: Row[] = []
  const totals: Record<string, number> = {}
  const names = Object.keys(codecs)
  const peersOf = (f: Record<string, Figures>, pick: (x: Exclude<Figures, string>) => number) =>
    Object.fromEntries(names.slice(1).map((c) => [c, typeof f[c] === 'string' ? (f[c] as string) : pick(f[c] as Exclude<Figures, string>)]))
  for (const [label, value] of [...valueMix(), ...newOnly()]) {
    const n = Math.max(10, Math.round(batchSize(value) * scale))
    const runs: Record<string, Figures[]> = Object.fromEntries(names.map((c) => [c, []]))
    for (const c of names) measure(codecs[c]!, value, n) // warm up: let the JIT settle first
    for (let rep = 0; rep < reps; rep++) for (const c of rep % 2 ? [...names].reverse() : names) runs[c]!.push(measure(codecs[c]!, value, n))
    const f: Record<string, Figures> = {}
    for (const c of names) {
      const ok = runs[c]!.filter((x): x is Exclude<Figures, string> => typeof x !== 'string')
      f[c] = ok.length === 0 ? (runs[c]![0] as string) : { encode: median(ok.map((x) => x.encode)), decode: median(ok.map((x) => x.decode)), size: ok[0]!.size }
    }
    const mine = f.cowdb as Exclude<Figures, string>
    rows.push({ workload: `${label}: encode`, unit: 'ops/s', cowdb: 1000 / mine.encode, peers: peersOf(f, (x) => 1000 / x.encode), higherIsBetter: true })
    rows.push({ workload: `${label}: decode`, unit: 'ops/s', cowdb: 1000 / mine.decode, peers: peersOf(f, (x) => 1000 / x.decode), higherIsBetter: true })
    rows.push({ workload: `${label}: encoded size`, unit: 'bytes', cowdb: mine.size, peers: peersOf(f, (x) => x.size), higherIsBetter: false })
    if (typeof f['before (msgpackr)'] !== 'string') {
      for (const c of names) {
        const x = f[c]
        if (typeof x !== 'string') totals[c] = (totals[c] ?? 0) + x.encode + x.decode
        else totals[c] = NaN
      }
    }
  }
  rows.push({
    workload: 'the whole mix (each value once): encode + decode',
    unit: 'µs',
    cowdb: totals.cowdb! * 1000,
    peers: Object.fromEntries(names.slice(1).map((c) => [c, Number.isNaN(totals[c]) ? 'cannot' : totals[c]! * 1000])),
    higherIsBetter: false,
    note: `budget: at most 1.25x the old codec's time; measured ${(totals.cowdb! / totals['before (msgpackr)']!).toFixed(2)}x`,
  })
  return rows
}
