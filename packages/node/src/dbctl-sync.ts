// dbctl against a sync server (`--sync-url`): get, scan and head read the database as the
// server holds it, at any server sequence (`--at`), and restore fills a fresh local store from
// that state. @cowdb/sync is an optional peer of @cowdb/node, loaded only here and only when
// --sync-url is given, so dbctl installs and runs without it (and without its Postgres clients).

import type { Key, Range } from '@cowdb/core'
import { line } from './format.js'
import { open } from './open.js'
import { UsageError } from './usage-error.js'

type SyncClient = typeof import('@cowdb/sync')

/** The options dbctl parses for a sync server, beside its own. */
export const remoteOptions = {
  'sync-url': { type: 'string' },
  token: { type: 'string' },
  at: { type: 'string' },
} as const

export const REMOTE_USAGE = `Against a sync server (needs @cowdb/sync installed), instead of --db:
  dbctl --sync-url URL --token T <command>    URL: <server>/db/<name>; T also from $COWDB_SYNC_TOKEN
  head                                               the server's sequence now
  get       --key K | --key-json J [--at SEQ]        the value at sequence SEQ (default: now)
  scan      [--prefix P | --gte A --lt B] [--limit N] [--at SEQ]   the entries at SEQ, in key order
  restore   --db DIR [--at SEQ]                      fill a new, empty store DIR with the state at SEQ`

/** What runRemote reads of dbctl's parsed options. */
type RemoteArgs = {
  'sync-url'?: string
  token?: string
  at?: string
  db?: string
  prefix?: string
  gt?: string
  gte?: string
  lt?: string
  lte?: string
  limit?: string
  reverse?: boolean
  snapshot?: string
  tenant?: string
}

/** Loads the sync client, or says how to get it. Cost: one module load. */
async function loadSync(): Promise<SyncClient> {
  try {
    return await import('@cowdb/sync')
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes('@cowdb/sync')) {
      throw new UsageError('--sync-url needs the @cowdb/sync package beside @cowdb/node: npm install @cowdb/sync')
    }
    throw e
  }
}

/** `--at SEQ`: a server sequence, an integer >= 0; undefined without it (the server's head). */
function parseAt(at: string | undefined): number | undefined {
  if (at === undefined) return undefined
  const n = Number(at)
  if (!/^\d+$/.test(at) || !Number.isSafeInteger(n)) throw new UsageError(`--at takes a server sequence (an integer >= 0), got ${JSON.stringify(at)}`)
  return n
}

/**
 * Runs a dbctl command against the sync server at `--sync-url`; returns the exit code (0, or 1
 * for a missing key). Server refusals (401/403, a sequence beyond the head: SyncHttpError) and an
 * unreachable server (SyncOfflineError) throw, and dbctl prints them as its other errors.
 * Cost: one round trip for get and head; O(entries) transferred for scan and restore.
 */
export async function runRemote(cmd: string, o: RemoteArgs, io: { out: (s: string) => void; err: (s: string) => void }, key: () => Key): Promise<number> {
  if (!['head', 'get', 'scan', 'restore'].includes(cmd)) throw new UsageError(`${cmd} does not work with --sync-url (head, get, scan and restore do)`)
  for (const local of ['snapshot', 'tenant'] as const) {
    if (o[local] !== undefined) throw new UsageError(`--${local} names a local store's state; with --sync-url, --at SEQ names the server's`)
  }
  if (cmd !== 'restore' && o.db !== undefined) throw new UsageError(`${cmd} --sync-url reads the server: drop --db`)
  const token = o.token ?? process.env.COWDB_SYNC_TOKEN
  if (!token) throw new UsageError('--sync-url needs --token T (or $COWDB_SYNC_TOKEN)')
  const at = parseAt(o.at)
  const { headSeq, pointInTime, scanAt, restoreFrom } = await loadSync()
  const remote = { url: o['sync-url']!, token }
  if (cmd === 'head') {
    if (at !== undefined) throw new UsageError('head takes no --at')
    io.out(line({ seq: await headSeq(remote) }))
  } else if (cmd === 'get') {
    const r = await pointInTime({ ...remote, key: key(), ...(at !== undefined ? { at } : {}) })
    if (r.value === undefined) {
      io.err('dbctl: not found')
      return 1
    }
    io.out(line(r.value))
  } else if (cmd === 'scan') {
    if (o.reverse) throw new UsageError('scan --sync-url reads in key order only: drop --reverse')
    const limit = o.limit === undefined ? undefined : Number(o.limit)
    if (limit !== undefined && !(limit >= 0)) throw new UsageError('--limit takes a number >= 0')
    if (limit === 0) return 0
    const range: Range & { prefix?: string } = o.prefix !== undefined ? { prefix: o.prefix } : {}
    for (const b of ['gt', 'gte', 'lt', 'lte'] as const) if (o[b] !== undefined) range[b] = o[b]
    for await (const [k, v] of scanAt({ ...remote, ...range, ...(at !== undefined ? { at } : {}), ...(limit !== undefined ? { limit } : {}) })) io.out(line({ key: k, value: v }))
  } else {
    if (o.db === undefined) throw new UsageError('restore --sync-url needs --db DIR, a new or empty store')
    const db = await open(o.db, { checkpointDelayMs: 0 })
    try {
      // a store that holds data is refused rather than overwritten: restore makes a copy
      for await (const _ of db.iterate({ limit: 1 })) throw new UsageError(`restore --sync-url fills a new, empty store; ${o.db} holds data`)
      io.out(line(await restoreFrom(db, { ...remote, ...(at !== undefined ? { at } : {}) })))
    } finally {
      await db.close()
    }
  }
  return 0
}
