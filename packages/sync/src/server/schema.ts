// The server's tables, created and upgraded by numbered migrations when a server starts. Several
// servers starting at once on one Postgres take an advisory lock, so each migration runs once.

import type { Sql } from './sql.js'

/**
 * Each migration runs once, in order, in one transaction with its row in cowdb_sync_migrations.
 * Never edit one that shipped: add the next.
 */
export const MIGRATIONS: string[] = [
  // 1: the log
  `
  -- one row per database: its counter. A push takes this row's lock, bumps seq and inserts its
  -- change set in the same transaction, so sequence numbers commit in order (a Postgres sequence
  -- can commit out of order, and a reader's cursor would then skip a row)
  create table cowdb_sync_databases (
    db text primary key,
    seq bigint not null default 0,
    created_at timestamptz not null default now()
  );
  -- one row per pushed change set; push_id makes a retried push a no-op
  create table cowdb_sync_changesets (
    db text not null,
    seq bigint not null,
    push_id text not null,
    device text not null,
    base bigint not null,
    entries integer not null,
    bytes bigint not null,
    created_at timestamptz not null default now(),
    primary key (db, seq),
    unique (db, push_id)
  );
  -- one row per key of a change set: value null is a delete; applied is false when the key
  -- already held a later write (by commit HLC, then device) when this one arrived
  create table cowdb_sync_entries (
    db text not null,
    seq bigint not null,
    idx integer not null,
    key bytea not null,
    value bytea,
    hlc text not null,
    device text not null,
    applied boolean not null,
    primary key (db, seq, idx)
  );
  -- the state at any sequence: per key, the last applied entry at or below it
  create index cowdb_sync_entries_state on cowdb_sync_entries (db, key, seq desc) where applied;
  -- parts of a change set too large for one request, until its commit
  create table cowdb_sync_parts (
    db text not null,
    push_id text not null,
    idx integer not null,
    bytes bytea not null,
    created_at timestamptz not null default now(),
    primary key (db, push_id, idx)
  );
  `,
]

/** Lock id for migrations (any constant the app's own advisory locks are unlikely to use). */
const MIGRATION_LOCK = 7_302_417_051

/** Brings the schema up to date. Cost: one transaction per pending migration. */
export async function migrate(sql: Sql): Promise<{ from: number; to: number }> {
  return sql.transaction(async (q) => {
    await q.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
    await q.query('create table if not exists cowdb_sync_migrations (version integer primary key, applied_at timestamptz not null default now())')
    const [row] = await q.query<{ v: number | null }>('select max(version) as v from cowdb_sync_migrations')
    const from = row?.v ?? 0
    for (let v = from + 1; v <= MIGRATIONS.length; v++) {
      for (const stmt of MIGRATIONS[v - 1]!.split(/;\s*$/m).map((s) => s.trim()).filter((s) => s.replace(/--.*$/gm, '').trim())) await q.query(stmt)
      await q.query('insert into cowdb_sync_migrations (version) values ($1)', [v])
    }
    return { from, to: Math.max(from, MIGRATIONS.length) }
  })
}
