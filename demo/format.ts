// How the playground writes values, sizes and times for people.

/** A value in one line: JSON where it fits, the type's name for bytes, maps, sets; cut at `max`. Cost: O(size). */
export function show(v: unknown, max = 120): string {
  if (v === undefined) return '—'
  if (v instanceof Uint8Array) return `Uint8Array(${v.length})`
  if (typeof v === 'bigint') return `${v}n`
  if (v instanceof Map) return `Map(${v.size})`
  if (v instanceof Set) return `Set(${v.size})`
  if (v instanceof Date) return v.toISOString()
  let s: string | undefined
  try {
    s = JSON.stringify(v)
  } catch {
    s = undefined // cycles, bigint inside: say what it is
  }
  if (s === undefined) s = Object.prototype.toString.call(v)
  return s.length > max ? s.slice(0, max - 1) + '…' : s
}

/** Reads the value box: JSON when it parses, else the text itself. Cost: O(length). */
export function parseValue(text: string): { value: unknown; as: 'json' | 'text' } {
  try {
    return { value: JSON.parse(text), as: 'json' }
  } catch {
    return { value: text, as: 'text' }
  }
}

/** 1536 → "1.5 KiB". Cost: O(1). */
export function bytes(n: number): string {
  if (!Number.isFinite(n)) return '—'
  if (n < 1024) return `${n} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let v = n
  let u = -1
  do {
    v /= 1024
    u++
  } while (v >= 1024 && u < units.length - 1)
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`
}

/** 12345 → "12,345". Cost: O(1). */
export const num = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—')

/** Clock time of an epoch-ms instant, with seconds. Cost: O(1). */
export const clock = (ms: number): string => new Date(ms).toLocaleTimeString('en-GB')

/** "5 s ago", "3 min ago", "2 h ago". Cost: O(1). */
export function ago(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000))
  if (s < 60) return `${s} s ago`
  if (s < 3600) return `${Math.floor(s / 60)} min ago`
  return `${Math.floor(s / 3600)} h ago`
}

/** "1 key", "2 keys". Cost: O(1). */
export const plural = (n: number, word: string, many = `${word}s`): string => `${num(n)} ${n === 1 ? word : many}`

const plain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype

/**
 * A change in one line: for two plain objects only the fields that differ
 * (`done: false → true`), else both values. Cost: O(size).
 */
export function showChange(before: unknown, after: unknown, max = 40): string {
  if (plain(before) && plain(after)) {
    const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((f) => show(before[f], 400) !== show(after[f], 400))
    if (fields.length && fields.length <= 3) return fields.map((f) => `${f}: ${show(before[f], max)} → ${show(after[f], max)}`).join(', ')
  }
  return `${show(before, max)} → ${show(after, max)}`
}
