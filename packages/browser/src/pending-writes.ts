// What a read on the main thread must not overtake: the writes this client has sent that have not
// resolved yet, and the newest state its resolved writes produced. A read that goes to the worker
// runs after the writes sent before it (one message per tick, in call order), so it sees them;
// a read answered from shared memory sees only what the worker published. So a shared read is
// allowed only when no write it could overtake is pending (same key for put, delete and small
// batches; anything for the other writes), and only when the published state is at least as new
// as every write of this client that resolved (read-your-writes).

import { encodeKey, keyInRange, type KeyRange } from '@cowdb/core/keys'
import { METHODS, type Method } from './protocol.js'

/** Writes that change nothing a read returns: they never hold reads back. */
const NEUTRAL: ReadonlySet<Method> = new Set<Method>(['snapshot', 'checkpoint', 'gc', 'compact', 'exportBackup'])
/** A batch with more ops than this holds every read back while it runs, instead of its keys. */
const KEYED_BATCH = 64

export class PendingWrites {
  /** The highest generation a write of this client resolved with. */
  generation = 0
  /** Set when shared reads come on: from then on puts, deletes and small batches hold back their keys only. */
  keyed = false
  /** Writes running that hold back every read. */
  private wide = 0
  /** Keys of the keyed writes running (bytes as a string), with how many write each. */
  private readonly keys = new Map<string, { key: Uint8Array; n: number }>()

  /**
   * Registers call `method` if it is a write; returns what to call with its result when it
   * settles (undefined if it failed). Cost: O(1), or O(keys) to encode a keyed write's keys.
   */
  begin(method: Method, args: readonly unknown[]): ((result?: unknown) => void) | undefined {
    if (METHODS[method] !== 'write' || NEUTRAL.has(method)) return undefined
    const keys = this.keyed ? keysOf(method, args) : undefined
    if (!keys) {
      this.wide++
      return (r) => {
        this.wide--
        this.resolved(r)
      }
    }
    const held = keys.map((key) => {
      const s = bytesKey(key)
      const e = this.keys.get(s)
      if (e) e.n++
      else this.keys.set(s, { key, n: 1 })
      return s
    })
    return (r) => {
      for (const s of held) {
        const e = this.keys.get(s)!
        if (--e.n === 0) this.keys.delete(s)
      }
      this.resolved(r)
    }
  }

  /** Whether a running write may change the value of `key` (encoded). Cost: O(1). */
  holds(key: Uint8Array): boolean {
    return this.wide > 0 || (this.keys.size > 0 && this.keys.has(bytesKey(key)))
  }

  /** Whether a running write may change something in `r`. Cost: O(keys being written). */
  holdsRange(r: KeyRange): boolean {
    if (this.wide > 0) return true
    for (const { key } of this.keys.values()) if (keyInRange(key, r)) return true
    return false
  }

  private resolved(r: unknown): void {
    const g = r !== null && typeof r === 'object' ? (r as { generation?: unknown }).generation : undefined
    if (typeof g === 'number' && g > this.generation) this.generation = g
  }
}

/** The keys a put, delete or small batch writes (encoded), or undefined: hold back every read. */
function keysOf(method: Method, args: readonly unknown[]): Uint8Array[] | undefined {
  try {
    if (method === 'put' || method === 'delete') return [encodeKey(args[0] as never)]
    if (method === 'batch' && Array.isArray(args[0]) && args[0].length <= KEYED_BATCH) return args[0].map((op: { key: never }) => encodeKey(op.key))
  } catch {
    // a bad key: the worker rejects the call; until then it holds back every read
  }
  return undefined
}

function bytesKey(b: Uint8Array): string {
  return String.fromCharCode.apply(null, b as unknown as number[])
}
