// Shared helpers for the benchmarks: seeded data, medians, and the printed table.

/** Deterministic pseudo-random numbers (mulberry32). */
export function prng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

/** `n` distinct random string keys ('k' + 16 hex digits) and a 100-byte value. */
export function dataset(n: number, seed = 42): { keys: string[]; value: Uint8Array } {
  const r = prng(seed)
  const keys = new Set<string>()
  while (keys.size < n) keys.add('k' + Math.floor(r() * 2 ** 32).toString(16).padStart(8, '0') + Math.floor(r() * 2 ** 32).toString(16).padStart(8, '0'))
  return { keys: [...keys], value: new Uint8Array(100).map((_, i) => (i * 7) & 255) }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** Median milliseconds of `reps` runs of `fn` (each run may set up its own state first). */
export async function timeIt(reps: number, fn: () => Promise<void> | void, setup?: () => Promise<void> | void): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < reps; i++) {
    await setup?.()
    const t = performance.now()
    await fn()
    times.push(performance.now() - t)
  }
  return median(times)
}

export type Row = { workload: string; unit: string; cowdb?: number; peers: Record<string, number | string | undefined>; higherIsBetter: boolean; note?: string }

const fmt = (v: number | string | undefined) =>
  v === undefined ? '—' : typeof v === 'string' ? v : v >= 100 ? Math.round(v).toLocaleString('en-US') : v >= 1 ? v.toFixed(1) : v.toFixed(3)

/** cowdb's advantage over a peer: > 1 means cowdb is better, whatever the unit's direction. */
export function ratio(row: Row, peer: string): number | undefined {
  const p = row.peers[peer]
  if (typeof p !== 'number' || row.cowdb === undefined || p === 0 || row.cowdb === 0) return undefined
  return row.higherIsBetter ? row.cowdb / p : p / row.cowdb
}

/** A markdown table: each workload, cowdb, each peer, and cowdb's advantage over each. */
export function table(title: string, rows: Row[]): string {
  const peers = [...new Set(rows.flatMap((r) => Object.keys(r.peers)))]
  const head = ['workload', 'unit', 'cowdb', ...peers, ...peers.map((p) => `cowdb vs ${p}`)]
  const lines = [`### ${title}`, '', `| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`]
  for (const r of rows) {
    const adv = peers.map((p) => {
      const x = ratio(r, p)
      return x === undefined ? '—' : `${x >= 1 ? '**' : ''}${x.toFixed(x >= 10 ? 0 : 2)}x${x >= 1 ? '**' : ''}`
    })
    lines.push(`| ${[r.workload + (r.note ? ` (${r.note})` : ''), r.unit, fmt(r.cowdb), ...peers.map((p) => fmt(r.peers[p])), ...adv].join(' | ')} |`)
  }
  return lines.join('\n')
}
