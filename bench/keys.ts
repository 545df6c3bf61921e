// The key codec (issue 13): encodeKey and decodeKey per second on the bench's key mix (the
// 'k' + 16 hex string keys of dataset() and integer keys) and on the shapes the fast path skips
// (non-ASCII, astral, compound). TextEncoder.encode, the floor of turning a string into bytes
// without any ordering or type tag, is measured beside it in the same run.
import { decodeKey, encodeKey, type Key } from '@cowdb/core'
import { dataset, median, type Row } from './measure.ts'

type Codec = { encode: (k: Key) => Uint8Array; decode: (b: Uint8Array) => Key }

/** The key shapes measured, each `n` keys. */
export function keyMixes(n: number): [string, Key[]][] {
  const hex = dataset(n).keys
  return [
    ["'k' + 16 hex digits (ASCII)", hex],
    ['integers', Array.from({ length: n }, (_, i) => i)],
    ["['user', integer]", Array.from({ length: n }, (_, i) => ['user', i])],
    ["'note:é' + hex (non-ASCII)", hex.map((k) => 'note:é' + k)],
    ["'\u{1F600}' + hex (astral)", hex.map((k) => '\u{1F600}' + k)],
  ]
}

/** Median per-second rate of running `fn` over every key, 5 times (after one untimed warm-up). */
function rate<T>(items: T[], fn: (x: T) => unknown): number {
  for (const x of items) fn(x)
  const times: number[] = []
  for (let rep = 0; rep < 5; rep++) {
    const t = performance.now()
    for (const x of items) fn(x)
    times.push(performance.now() - t)
  }
  return items.length / (median(times) / 1000)
}

/** Rows for `npm run bench`: encodes and decodes per second of each key mix. */
export function keyCodec(n = 200_000, codec: Codec = { encode: encodeKey, decode: decodeKey }): Row[] {
  const utf8 = new TextEncoder()
  const rows: Row[] = []
  for (const [name, keys] of keyMixes(n)) {
    const strings = keys.every((k) => typeof k === 'string')
    rows.push({
      workload: `encodeKey, ${name}`,
      unit: 'keys/s',
      cowdb: rate(keys, codec.encode),
      peers: strings ? { 'TextEncoder.encode': rate(keys as string[], (k) => utf8.encode(k)) } : {},
      higherIsBetter: true,
    })
    const encoded = keys.map(codec.encode)
    rows.push({ workload: `decodeKey, ${name}`, unit: 'keys/s', cowdb: rate(encoded, codec.decode), peers: {}, higherIsBetter: true })
  }
  return rows
}
