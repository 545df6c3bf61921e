// Why msgpackr for values (issue #4): cowdb's value codec (msgpackr behind encodeValue, with a raw
// path for Uint8Array) beside cbor-x and JSON over TextEncoder, on the value shapes apps store.
// Round trips per second (encode + decode) and encoded bytes; JSON cannot keep Uint8Array, Date,
// bigint, Map, so it is the speed floor, not an option.
import { Encoder } from 'cbor-x'
import { decodeValue, encodeValue } from '@cowdb/core'
import { median, type Row } from './measure.ts'

/** The value shapes apps store; the browser bench (client-cost.ts) sends the same mix. */
export const samples: [string, unknown][] = [
  ['100-byte Uint8Array', new Uint8Array(100).map((_, i) => i)],
  ['small object { title, done, n }', { title: 'Groceries', done: false, n: 42 }],
  ['1 KB object (20 fields, nested array)', Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`field${i}`, i % 3 ? `value number ${i}` : [i, i * 2, { x: i }]]))],
  ['Date + bigint + Map', { at: new Date(0), big: 2n ** 70n, tags: new Map([['a', 1], ['b', 2]]) }],
]

const cbor = new Encoder({ structuredClone: true })
const utf8 = new TextEncoder()
const utf8d = new TextDecoder()
const codecs: Record<string, { encode: (v: unknown) => Uint8Array; decode: (b: Uint8Array) => unknown }> = {
  'msgpackr (cowdb)': { encode: encodeValue, decode: decodeValue },
  'cbor-x': { encode: (v) => cbor.encode(v), decode: (b) => cbor.decode(b) },
  JSON: { encode: (v) => utf8.encode(JSON.stringify(v)), decode: (b) => JSON.parse(utf8d.decode(b)) },
}

function roundTrips(codec: (typeof codecs)[string], value: unknown, n: number): number | string {
  try {
    const times: number[] = []
    for (let rep = 0; rep < 5; rep++) {
      const t = performance.now()
      for (let i = 0; i < n; i++) codec.decode(codec.encode(value))
      times.push(performance.now() - t)
    }
    return n / (median(times) / 1000)
  } catch (e) {
    return `cannot: ${(e as Error).message.slice(0, 40)}`
  }
}

export function valueCodecs(n = 50_000): Row[] {
  const rows: Row[] = []
  for (const [name, value] of samples) {
    const [mine, ...others] = Object.entries(codecs)
    const peers: Row['peers'] = {}
    for (const [peer, codec] of others) peers[peer] = roundTrips(codec, value, n)
    rows.push({ workload: `${name}: encode + decode`, unit: 'round trips/s', cowdb: roundTrips(mine![1], value, n) as number, peers, higherIsBetter: true })
    const size = (c: (typeof codecs)[string]) => { try { return c.encode(value).length } catch { return 'cannot' } }
    rows.push({ workload: `${name}: encoded size`, unit: 'bytes', cowdb: size(mine![1]) as number, peers: Object.fromEntries(others.map(([p, c]) => [p, size(c)])), higherIsBetter: false })
  }
  return rows
}
