// Hybrid logical clock ids for snapshots: strictly increasing even when the wall clock stands
// still or jumps backwards, sortable as plain strings, and carrying a wall time for display.
//
// Form: ISO-8601 UTC time of the logical milliseconds, '-', a 6-digit counter:
//   2026-11-24T20:45:12.345Z-000001

const COUNTER_DIGITS = 6
const COUNTER_MAX = 10 ** COUNTER_DIGITS - 1

export class Hlc {
  private wall = 0
  private counter = 0

  constructor(private readonly now: () => number = Date.now) {}

  /** The next id: later than every id issued or observed before. Cost: O(1). */
  next(): string {
    const t = this.now()
    if (t > this.wall) {
      this.wall = t
      this.counter = 0
    } else if (this.counter < COUNTER_MAX) {
      this.counter++
    } else {
      this.wall++
      this.counter = 0
    }
    return formatHlc(this.wall, this.counter)
  }

  /** Moves the clock past an id issued elsewhere (another tab, an earlier run); ignores a string that is not an id. Cost: O(1). */
  observe(id: string): void {
    const p = parseHlc(id)
    if (!p) return
    if (p.wall > this.wall || (p.wall === this.wall && p.counter > this.counter)) {
      this.wall = p.wall
      this.counter = p.counter
    }
  }
}

/** The id of a wall time (ms since the epoch) and counter, in the sortable form above. Cost: O(1). */
export function formatHlc(wall: number, counter: number): string {
  return `${new Date(wall).toISOString()}-${String(counter).padStart(COUNTER_DIGITS, '0')}`
}

/** The wall time and counter of an id, or undefined if it is not one. Cost: O(1). */
export function parseHlc(id: string): { wall: number; counter: number } | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)-(\d{6})$/.exec(id)
  if (!m) return undefined
  const wall = Date.parse(m[1]!)
  return Number.isNaN(wall) ? undefined : { wall, counter: Number(m[2]) }
}
