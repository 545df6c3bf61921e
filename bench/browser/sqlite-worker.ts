// SQLite-WASM inside this worker on the opfs-sahpool VFS (sync access handles, no extra worker):
// one WITHOUT ROWID table, prepared statements, durable commits (synchronous=FULL) as the main
// figure and synchronous=NORMAL as the relaxed one.
import sqlite3InitModule, { type Database, type PreparedStatement, type SAHPoolUtil } from '@sqlite.org/sqlite-wasm'
import { hostEngine, type Durability, type Engine } from './engine.ts'

type Sqlite = Awaited<ReturnType<typeof sqlite3InitModule>>
let ready: Promise<{ sqlite3: Sqlite; pool: SAHPoolUtil }> | undefined
// Loaded once per worker; the pool is wiped at start (bench data need not survive a reload).
const init = () =>
  (ready ??= (async () => {
    const sqlite3 = await sqlite3InitModule()
    const pool = await sqlite3.installOpfsSAHPoolVfs({ clearOnInit: true, initialCapacity: 16, directory: '/bench-sahpool' })
    return { sqlite3, pool }
  })())

/**
 * The fastest journal mode that works here: WAL needs shared memory, which this VFS lacks, so it
 * is only possible with locking_mode=EXCLUSIVE (one connection, which is all this bench uses).
 * Falls back to TRUNCATE (a rollback journal that is truncated rather than deleted per commit).
 */
function pickJournal(db: Database): string {
  try {
    db.exec('PRAGMA locking_mode=EXCLUSIVE')
    const mode = String(db.selectValue('PRAGMA journal_mode=WAL'))
    if (mode === 'wal') return 'WAL (locking_mode=EXCLUSIVE)'
  } catch {
    // fall through
  }
  db.exec('PRAGMA locking_mode=NORMAL')
  return `${String(db.selectValue('PRAGMA journal_mode=TRUNCATE')).toUpperCase()}`
}

let journal = '?'

async function sqliteEngine(): Promise<Engine> {
  const { sqlite3, pool } = await init()
  let db: Database
  let file: string
  let put: PreparedStatement, get: PreparedStatement, scan: PreparedStatement
  let sync: Durability | undefined
  let copies = 0
  let lastCopy = ''
  const setSync = (d: Durability) => {
    if (sync !== d) db.exec(`PRAGMA synchronous=${d === 'durable' ? 'FULL' : 'NORMAL'}`)
    sync = d
  }
  const getOne = (key: string) => {
    get.bind(1, key)
    const v = get.step() ? get.get(0) : undefined
    get.reset()
    return v
  }
  return {
    get version() {
      return `sqlite-wasm ${sqlite3.version.libVersion}, opfs-sahpool, journal_mode=${journal}`
    },
    async open(name) {
      file = `/${name}.db`
      db = new pool.OpfsSAHPoolDb(file)
      journal = pickJournal(db)
      setSync('durable')
      db.exec('CREATE TABLE kv(k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID')
      put = db.prepare('INSERT OR REPLACE INTO kv(k, v) VALUES (?, ?)')
      get = db.prepare('SELECT v FROM kv WHERE k = ?')
      scan = db.prepare('SELECT k, v FROM kv WHERE k >= ? ORDER BY k LIMIT ?')
    },
    async load(keys, value) {
      setSync('durable')
      db.exec('BEGIN')
      for (const k of keys) put.bind(1, k).bind(2, value).stepReset()
      db.exec('COMMIT')
    },
    commit(key, value, durability) {
      setSync(durability)
      put.bind(1, key).bind(2, value).stepReset()
    },
    compact: () => void db.exec('VACUUM'),
    async closeAndReopen() {
      for (const s of [put, get, scan]) s.finalize()
      const t = performance.now()
      db.close()
      const ms = performance.now() - t
      db = new pool.OpfsSAHPoolDb(file)
      pickJournal(db)
      sync = undefined
      setSync('durable')
      put = db.prepare('INSERT OR REPLACE INTO kv(k, v) VALUES (?, ?)')
      get = db.prepare('SELECT v FROM kv WHERE k = ?')
      scan = db.prepare('SELECT k, v FROM kv WHERE k >= ? ORDER BY k LIMIT ?')
      return ms
    },
    get: getOne,
    getMany(keys) {
      db.exec('BEGIN') // one read transaction, like the other engines' batched reads
      const out = keys.map(getOne)
      db.exec('COMMIT')
      return out
    },
    scan(from, limit) {
      let n = 0
      scan.bind(1, from).bind(2, limit)
      while (scan.step()) {
        scan.get(0)
        scan.get(1)
        n++
      }
      scan.reset()
      return n
    },
    async copy(probe) {
      lastCopy = `/copy-${copies++}.db`
      db.exec(`VACUUM INTO '${lastCopy}'`)
      const c = new pool.OpfsSAHPoolDb(lastCopy)
      const found = c.selectValue('SELECT length(v) FROM kv WHERE k = ?', [probe])
      c.close()
      if (found === undefined) throw new Error('copy unreadable')
    },
    async dropCopy() {
      pool.unlink(lastCopy)
    },
    bytes: async () => Number(db.selectValue('PRAGMA page_count')) * Number(db.selectValue('PRAGMA page_size')),
    async drop() {
      for (const s of [put, get, scan]) s.finalize()
      db.close()
      for (const f of [file, `${file}-journal`, `${file}-wal`]) pool.unlink(f)
    },
  }
}

hostEngine(sqliteEngine)
