// One small interface over the two Postgres clients the server runs on: `pg` (a real Postgres
// server, any number of server processes sharing it) and PGlite (Postgres compiled to WASM, in
// this process, on a data directory or in memory: the no-setup default, one server process).

import type { PGlite } from '@electric-sql/pglite'
import type { Pool, PoolClient } from 'pg'

/** Runs statements; rows come back as plain objects (bytea as Uint8Array, bigint as number). */
export interface Query {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>
}

export interface Sql extends Query {
  readonly kind: 'postgres' | 'pglite'
  /** Runs `fn` in one transaction (READ COMMITTED): commits if it resolves, rolls back if it throws. */
  transaction<T>(fn: (q: Query) => Promise<T>): Promise<T>
  /** Calls `fn` with each NOTIFY payload on `channel`; resolves to a function that stops it. */
  listen(channel: string, fn: (payload: string) => void): Promise<() => Promise<void>>
  close(): Promise<void>
}

/** Where the server keeps its data: a Postgres URL, a PGlite data directory, or PGlite in memory. */
export type SqlConfig = { postgres: string; poolSize?: number } | { dataDir?: string }

/** Opens the configured store. Cost: one connection (Postgres) or the WASM start (PGlite, ~1 s). */
export async function openSql(config: SqlConfig = {}): Promise<Sql> {
  if ('postgres' in config) return openPostgres(config.postgres, config.poolSize ?? 10)
  return openPglite(config.dataDir)
}

async function openPostgres(url: string, max: number): Promise<Sql> {
  const pg = (await import('pg')).default
  const int8 = 20
  // bigint columns hold sequence numbers (< 2^53): numbers, not strings, on this pool only
  const types = { getTypeParser: (oid: number, format?: string) => (oid === int8 ? Number : pg.types.getTypeParser(oid, format as 'text')) }
  const pool: Pool = new pg.Pool({ connectionString: url, max, types } as ConstructorParameters<typeof pg.Pool>[0])
  pool.on('error', (e) => console.error('cowdb-sync: idle Postgres connection failed:', e.message))
  const run = async <T>(c: Pool | PoolClient, text: string, params?: unknown[]) => (await c.query(text, params as unknown[])).rows as T[]
  await run(pool, 'select 1')
  return {
    kind: 'postgres',
    query: (text, params) => run(pool, text, params),
    async transaction(fn) {
      const client = await pool.connect()
      try {
        await client.query('begin')
        const out = await fn({ query: (text, params) => run(client, text, params) })
        await client.query('commit')
        client.release()
        return out
      } catch (e) {
        await client.query('rollback').catch(() => {})
        client.release(e instanceof Error && /connection|terminat/i.test(e.message) ? e : undefined)
        throw e
      }
    },
    async listen(channel, fn) {
      // a connection of its own that comes back when it drops; NOTIFY is only a hint to pull,
      // so what is missed meanwhile is found by the server's poll
      let client: InstanceType<typeof pg.Client> | undefined
      let stopped = false
      const connect = async (): Promise<void> => {
        if (stopped) return
        const c = new pg.Client({ connectionString: url })
        c.on('notification', (n) => n.channel === channel && fn(n.payload ?? ''))
        c.on('error', () => {
          c.end().catch(() => {})
          if (!stopped) setTimeout(() => void connect().catch(() => {}), 1000).unref()
        })
        try {
          await c.connect()
          await c.query(`listen ${channel}`)
          client = c
        } catch {
          c.end().catch(() => {})
          if (!stopped) setTimeout(() => void connect().catch(() => {}), 1000).unref()
        }
      }
      await connect()
      return async () => {
        stopped = true
        await client?.end().catch(() => {})
      }
    },
    close: () => pool.end(),
  }
}

async function openPglite(dataDir: string | undefined): Promise<Sql> {
  const { PGlite: Pglite } = await import('@electric-sql/pglite')
  const db: PGlite = new Pglite(dataDir)
  await db.waitReady
  return {
    kind: 'pglite',
    query: async (text, params) => (await db.query(text, params)).rows as never,
    transaction: (fn) => db.transaction((tx) => fn({ query: async (text, params) => (await tx.query(text, params)).rows as never })),
    async listen(channel, fn) {
      const stop = await db.listen(channel, fn)
      return () => stop()
    },
    close: () => db.close(),
  }
}
