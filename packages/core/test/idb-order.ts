// An independent oracle for key order, written from the IndexedDB spec's "compare two keys"
// algorithm (https://w3c.github.io/IndexedDB/#compare-two-keys), on JS values, sharing no code
// with the engine's encoder. Tests check the engine's byte order against it (Node) and against
// indexedDB.cmp itself (Chromium, e2e/keys.spec.ts).

/** The spec's key types, in its order: number < date < string < binary < array. */
const TYPES = ['number', 'date', 'string', 'binary', 'array'] as const
type KeyType = (typeof TYPES)[number]

function typeOf(k: unknown): KeyType {
  if (typeof k === 'number') return 'number'
  if (k instanceof Date) return 'date'
  if (typeof k === 'string') return 'string'
  if (k instanceof Uint8Array) return 'binary'
  if (Array.isArray(k)) return 'array'
  throw new TypeError(`idbCompare: not a key: ${Object.prototype.toString.call(k)}`)
}

/** -1, 0 or 1 as IndexedDB orders keys `a` and `b` (valid keys only). */
export function idbCompare(a: unknown, b: unknown): -1 | 0 | 1 {
  const ta = typeOf(a)
  const tb = typeOf(b)
  if (ta !== tb) return TYPES.indexOf(ta) < TYPES.indexOf(tb) ? -1 : 1
  switch (ta) {
    case 'number': // -0 and 0 are equal
      return order(a as number, b as number)
    case 'date': // by time value
      return order((a as Date).getTime(), (b as Date).getTime())
    case 'string': // code unit by code unit, then the shorter first
      return units(a as string, b as string)
    case 'binary':
      return bytes(a as Uint8Array, b as Uint8Array)
    case 'array': {
      const x = a as unknown[]
      const y = b as unknown[]
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const c = idbCompare(x[i], y[i])
        if (c !== 0) return c
      }
      return x.length < y.length ? -1 : x.length > y.length ? 1 : 0
    }
  }
}

const order = (x: number, y: number) => (x < y ? -1 : x > y ? 1 : 0)

function units(a: string, b: string): -1 | 0 | 1 {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i)
    if (d !== 0) return d < 0 ? -1 : 1
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0
}

function bytes(a: Uint8Array, b: Uint8Array): -1 | 0 | 1 {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0
}
