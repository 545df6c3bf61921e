// Shared by the sync tests: a server on PGlite in memory (one per test file; each test uses its
// own database names), devices as core Databases on memory storage, and helpers to read state.
import { rmSync } from 'node:fs'
import { pgliteDir } from './process.js'
import { Database, MemoryStorage, type DatabaseOptions } from '@cowdb/core'
import { createSyncServer, signToken, signedTokens, type SyncServer, type SqlConfig, type Sql } from '@cowdb/sync/server'
import { sync, type SyncHandle, type SyncOptions } from '@cowdb/sync'

export { pgliteDir }
export const SECRET = 'test-secret-0123456789'

export type TestServer = { server: SyncServer; url: string; dbUrl: (name: string) => string; token: (name: string, access?: 'read' | 'readwrite') => string }

/** Postgres to run the suites on instead of PGlite (set by `npm test`'s Postgres step). */
export const POSTGRES = process.env.COWDB_SYNC_POSTGRES

/** A server on `store` (default: $COWDB_SYNC_POSTGRES, else PGlite on a fresh data directory) with signed tokens. */
export async function startServer(store?: SqlConfig | Sql, extra: Partial<Parameters<typeof createSyncServer>[0]> = {}): Promise<TestServer> {
  store ??= POSTGRES ? { postgres: POSTGRES } : undefined
  const dir = store ? undefined : await pgliteDir()
  const server = await createSyncServer({ authorize: signedTokens(SECRET), pollMs: 200, store: store ?? { dataDir: dir }, ...extra })
  const url = await server.listen(0)
  const close = server.close.bind(server)
  server.close = async () => {
    await close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  }
  return { server, url, dbUrl: (name) => `${url}/db/${name}`, token: (name, access) => signToken(SECRET, { db: name, ...(access ? { access } : {}) }) }
}

let n = 0
/** A unique database name per call (tests share one server). */
export const freshName = (tag = 'db') => `${tag}-${process.pid}-${++n}-${Math.random().toString(36).slice(2, 8)}`

export const quiet: DatabaseOptions = { checkpointDelayMs: 0 }

/** A device: a memory-backed Database. */
export async function device(opts: DatabaseOptions = {}): Promise<{ db: Database; storage: MemoryStorage }> {
  const storage = new MemoryStorage()
  return { db: await Database.open(storage, { ...quiet, ...opts }), storage }
}

/** Starts a manual (syncNow-only) sync of `db` to database `name`. */
export function manual(ts: TestServer, db: Database, name: string, opts: Partial<SyncOptions> = {}): Promise<SyncHandle> {
  return sync(db, { url: ts.dbUrl(name), token: ts.token(name), auto: false, ...opts })
}

/** The app's data on main, as [key, value] pairs (compared with toEqual). */
export async function contents(db: Database): Promise<[unknown, unknown][]> {
  const out: [unknown, unknown][] = []
  for await (const e of db.iterate({})) out.push(e)
  return out
}

/** Change sets the server holds for database `name`. Cost: one query. */
export async function changeSets(ts: TestServer, name: string): Promise<number> {
  return (await ts.server.store.sql.query<{ n: number }>('select count(*)::int as n from cowdb_sync_changesets where db = $1', [name]))[0]!.n
}

/** Polls `cond` every 20 ms until it holds; throws naming `what` after `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 20_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what} not met in time`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
