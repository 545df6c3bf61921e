// Fault-injecting storage for robustness tests, after SQLite's crash VFS and I/O-error sweep.
// Every write, flush, truncate and meta save is one numbered "I/O call". The controller can
// crash at call N (that call and all later ones throw, as if the process died there) or fail
// call N only (an I/O error the engine must survive). After a crash, `afterCrash` builds what
// the disk holds: everything flushed, plus each unflushed write kept, dropped or torn, in a
// random order.

import { IOError } from '../src/errors.js'
import { MemoryBlockFile, MemoryMetaStore } from '../src/memory-store.js'
import type { BlockFile, Meta, MetaStore, Storage } from '../src/store.js'

export class CrashSignal extends IOError {}

export class FaultController {
  calls = 0
  crashed = false
  constructor(
    readonly crashAt = Infinity,
    readonly failAt = Infinity,
  ) {}
  /** Counts one I/O call; throws if it is the crash point (or after it), or the failing call. */
  tick(what: string): 'crash' | void {
    if (this.crashed) throw new CrashSignal(`crashed (${what} after the crash)`)
    this.calls++
    if (this.calls === this.crashAt) {
      this.crashed = true
      return 'crash'
    }
    if (this.calls === this.failAt) throw new IOError(`injected I/O error on call ${this.calls} (${what})`)
  }
}

type Pending = { offset: number; data: Uint8Array } | { truncate: number }

export class CrashFile implements BlockFile {
  private visible = new MemoryBlockFile()
  private durable = new MemoryBlockFile()
  private pending: Pending[] = []

  constructor(private readonly ctl: FaultController) {}

  /** Starts the file with `bytes`, durable, counting no I/O call (a file found on disk). */
  preload(bytes: Uint8Array): this {
    this.visible = new MemoryBlockFile()
    this.visible.write(0, bytes)
    this.durable = cloneFile(this.visible)
    return this
  }

  read(offset: number, into: Uint8Array): number {
    if (this.ctl.crashed) throw new CrashSignal('crashed (read)')
    return this.visible.read(offset, into)
  }
  write(offset: number, data: Uint8Array): void {
    const crash = this.ctl.tick('write')
    // A crash during a write may leave any part of it.
    this.pending.push({ offset, data: data.slice() })
    if (crash) throw new CrashSignal('crash during write')
    this.visible.write(offset, data)
  }
  flush(): void {
    const crash = this.ctl.tick('flush')
    if (crash) throw new CrashSignal('crash during flush') // the flush may not have happened
    this.durable = cloneFile(this.visible)
    this.pending = []
  }
  size(): number {
    return this.visible.size()
  }
  truncate(size: number): void {
    const crash = this.ctl.tick('truncate')
    this.pending.push({ truncate: size })
    if (crash) throw new CrashSignal('crash during truncate')
    this.visible.truncate(size)
  }
  close(): void {}

  /** The file as a crash leaves it: flushed bytes, plus unflushed writes kept, dropped or torn. */
  afterCrash(rand: () => number): MemoryBlockFile {
    const out = cloneFile(this.durable)
    const order = this.pending.map((p, i) => ({ p, k: rand() < 0.3 ? rand() : i / this.pending.length }))
    order.sort((a, b) => a.k - b.k) // mostly in order, sometimes reordered
    for (const { p } of order) {
      const fate = rand()
      if (fate < 0.4) continue // dropped
      if ('truncate' in p) {
        out.truncate(p.truncate)
        continue
      }
      if (fate < 0.55) {
        // torn: a prefix lands, maybe followed by garbage
        const cut = Math.floor(rand() * p.data.length)
        const torn = p.data.slice(0, cut + Math.floor(rand() * 16))
        for (let i = cut; i < torn.length; i++) torn[i] = Math.floor(rand() * 256)
        out.write(p.offset, torn)
      } else out.write(p.offset, p.data)
    }
    return out
  }
}

function cloneFile(f: MemoryBlockFile): MemoryBlockFile {
  const c = new MemoryBlockFile()
  c.write(0, f.bytes().slice())
  return c
}

/** A meta store whose save is atomic: at a crash it either landed or not, at random. */
export class CrashMeta implements MetaStore {
  durable: Meta | undefined
  constructor(
    private readonly ctl: FaultController,
    private readonly rand: () => number,
  ) {}
  async load(): Promise<Meta | undefined> {
    return this.durable && structuredClone(this.durable)
  }
  async save(meta: Meta): Promise<void> {
    const crash = this.ctl.tick('meta save')
    if (crash) {
      if (this.rand() < 0.5) this.durable = structuredClone(meta)
      throw new CrashSignal('crash during meta save')
    }
    this.durable = structuredClone(meta)
  }
  async close(): Promise<void> {}
}

export class FaultyStorage implements Storage {
  pages: CrashFile
  wal: CrashFile
  meta: CrashMeta
  constructor(readonly ctl: FaultController, rand: () => number) {
    this.pages = new CrashFile(ctl)
    this.wal = new CrashFile(ctl)
    this.meta = new CrashMeta(ctl, rand)
  }
  /** What a restart after the crash finds on disk. */
  afterCrash(rand: () => number): Storage {
    const meta = new MemoryMetaStore()
    meta.meta = this.meta.durable && structuredClone(this.meta.durable)
    return { pages: this.pages.afterCrash(rand), wal: this.wal.afterCrash(rand), meta }
  }
}
