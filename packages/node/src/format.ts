// How dbctl shows keys and values as JSON: what JSON cannot hold is tagged, and the tags read
// back, so `dbctl put --value` accepts what `dbctl get` prints.

/** A JSON-safe form of a key or value. Cost: O(size). */
export function toJson(v: unknown): unknown {
  if (v instanceof Uint8Array) return { $bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') }
  if (typeof v === 'bigint') return { $bigint: v.toString() }
  if (v instanceof Date) return { $date: v.toISOString() }
  if (v instanceof Map) return { $map: [...v].map(([k, x]) => [toJson(k), toJson(x)]) }
  if (v instanceof Set) return { $set: [...v].map(toJson) }
  if (typeof v === 'number' && !Number.isFinite(v)) return { $number: String(v) }
  if (ArrayBuffer.isView(v)) return { $typed: v.constructor.name, values: Array.from(v as unknown as ArrayLike<number | bigint>, (x) => (typeof x === 'bigint' ? x.toString() : x)) }
  if (Array.isArray(v)) return v.map(toJson)
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]))
  return v
}

/** Reads the tagged JSON form back into values. */
export function fromJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromJson)
  if (!v || typeof v !== 'object') return v
  const o = v as Record<string, unknown>
  if (typeof o.$bytes === 'string') return new Uint8Array(Buffer.from(o.$bytes, 'base64'))
  if (typeof o.$bigint === 'string') return BigInt(o.$bigint)
  if (typeof o.$date === 'string') return new Date(o.$date)
  if (typeof o.$number === 'string') return Number(o.$number)
  if (Array.isArray(o.$map)) return new Map((o.$map as [unknown, unknown][]).map(([k, x]) => [fromJson(k), fromJson(x)]))
  if (Array.isArray(o.$set)) return new Set((o.$set as unknown[]).map(fromJson))
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, fromJson(x)]))
}

/** One JSON line. */
export function line(v: unknown): string {
  return JSON.stringify(toJson(v))
}
