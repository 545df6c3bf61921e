// dbctl: inspect and change a cowdb store from the command line. Data goes to stdout as JSON
// lines; errors go to stderr as "dbctl: <ErrorName>: message" with exit code 1 (2: usage).

import { parseArgs } from 'node:util'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { Database, MemoryStorage, prefixRange, readBackup, type Key, type Progress, type Range } from '@cowdb/core'
import { fromJson, line } from './format.js'
import { open } from './open.js'
import { REMOTE_USAGE, remoteOptions, runRemote } from './dbctl-sync.js'
import { UsageError } from './usage-error.js'

export type Io = { out: (s: string) => void; err: (s: string) => void }

const USAGE = `usage: dbctl <command> --db DIR [options]
  get       --key K | --key-json J [--snapshot ID]     print the value (exit 1 if absent)
  put       --key K | --key-json J --value JSON        set a value
  delete    --key K | --key-json J                     delete a key
  scan      [--prefix P | --gte A --lt B] [--limit N] [--reverse] [--snapshot ID]
  snapshot  [--label L]                                take a snapshot, print it
  snapshots                                            list snapshots, oldest first
  diff      --from ID [--to ID]                        changed keys between snapshots (to: head)
  restore   --snapshot ID                              make a snapshot the head again
  verify                                               check every reachable page
  gc                                                   free unreachable pages
  compact                                              give free space inside the file back
  stats                                                counters and sizes
  metrics                                              Prometheus text
  export    --out FILE [--snapshot ID] [--since ID]    write a backup (incremental with --since)
  import    --in FILE                                  load a backup (full, or the next incremental)
  retention [--keep-last N] [--keep-for MS] [--keep-named true|false]   print (or set) the retention
  tenants   [--space]                                  list tenants (--space: bytes only each holds)
  tenant-create --tenant T [--from T2 [--snapshot ID]] [--keep-last N]  a new tenant, empty or a clone
  tenant-drop   --tenant T                             drop a tenant and every snapshot of it
--tenant T works on tenant T: get, put, delete, scan, snapshot, snapshots, diff, restore, export,
import (creates T if missing) and retention see only its data and its own snapshots.
--db may also name a backup file (from exportBackup() in a browser or dbctl export): it is read
only, and --snapshot with the backup's snapshot id reads its state.
Keys: --key takes a string key; --key-json takes any key as JSON (numbers, arrays).
Values: JSON; {"$bytes": base64}, {"$bigint": "..."}, {"$date": ISO} for other types.
${REMOTE_USAGE}`


/** Commands that work on a backup file (opened read only, in memory). */
const READ_ONLY = new Set(['get', 'scan', 'snapshots', 'diff', 'verify', 'stats', 'metrics', 'export', 'tenants'])

/** A full backup file as an in-memory database; `snapshot` is the id it was exported at. */
async function openBackup(file: string): Promise<{ db: Database; snapshot: string }> {
  const bytes = new Uint8Array(readFileSync(file))
  const { header } = readBackup(bytes) // TypeError: not a backup; CorruptionError: damaged
  if (header.since !== undefined) {
    throw new UsageError(`${file} is an incremental backup (changes since ${header.since}): import it onto a store holding its base to read it`)
  }
  const db = await Database.open(new MemoryStorage(), { checkpointDelayMs: 0 })
  await db.importBackup(bytes)
  return { db, snapshot: header.snapshot }
}

const options = {
  db: { type: 'string' },
  key: { type: 'string' },
  'key-json': { type: 'string' },
  value: { type: 'string' },
  snapshot: { type: 'string' },
  prefix: { type: 'string' },
  gte: { type: 'string' },
  gt: { type: 'string' },
  lt: { type: 'string' },
  lte: { type: 'string' },
  limit: { type: 'string' },
  reverse: { type: 'boolean' },
  label: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  since: { type: 'string' },
  out: { type: 'string' },
  in: { type: 'string' },
  tenant: { type: 'string' },
  space: { type: 'boolean' },
  'keep-last': { type: 'string' },
  'keep-for': { type: 'string' },
  'keep-named': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...remoteOptions,
} as const

/** Runs dbctl with `argv` (without node and script); returns the exit code. */
export async function main(argv: string[], io: Io = { out: (s) => console.log(s), err: (s) => console.error(s) }): Promise<number> {
  let db: Database | undefined
  try {
    const { values: o, positionals } = parseArgs({ args: argv, options, allowPositionals: true })
    const cmd = positionals[0]
    if (o.help || cmd === 'help' || !cmd) {
      io.out(USAGE)
      return cmd || o.help ? 0 : 2
    }
    const need = (name: keyof typeof o) => {
      const v = o[name]
      if (v === undefined) throw new UsageError(`${cmd} needs --${name}`)
      return v as string
    }
    const key = (): Key => {
      if (o['key-json'] !== undefined) return fromJson(JSON.parse(o['key-json'])) as Key
      return need('key')
    }
    if (o['sync-url'] !== undefined) return await runRemote(cmd, o, io, key)
    if (!o.db) throw new UsageError('--db DIR is required')
    const json = (s: string) => {
      try {
        return fromJson(JSON.parse(s))
      } catch {
        throw new UsageError(`not valid JSON: ${s}`)
      }
    }
    // every call names the head it works on: a tenant (--tenant), or main
    const on = o.tenant === undefined ? {} : { branch: o.tenant }
    const count = (name: 'keep-last' | 'keep-for') => {
      const v = Number(o[name])
      if (!(v >= 0)) throw new UsageError(`--${name} takes a number >= 0`)
      return v
    }
    const commands: Record<string, () => Promise<number | void>> = {
      get: async () => {
        const v = await db!.get(key(), { snapshot: o.snapshot, ...on })
        if (v === undefined) {
          io.err('dbctl: not found')
          return 1
        }
        io.out(line(v))
      },
      put: async () => {
        const c = await db!.put(key(), json(need('value')), on)
        io.out(line(c))
      },
      delete: async () => {
        io.out(line(await db!.delete(key(), on)))
      },
      scan: async () => {
        const range: Range = o.prefix !== undefined ? prefixRange(o.prefix) : {}
        for (const b of ['gt', 'gte', 'lt', 'lte'] as const) if (o[b] !== undefined) range[b] = o[b]
        const limit = o.limit === undefined ? Infinity : Number(o.limit)
        if (!(limit >= 0)) throw new UsageError('--limit takes a number >= 0')
        for await (const [k, v] of db!.iterate({ ...range, limit, reverse: o.reverse, snapshot: o.snapshot, ...on })) io.out(line({ key: k, value: v }))
      },
      snapshot: async () => io.out(line(await db!.snapshot({ ...(o.label !== undefined ? { label: o.label } : {}), ...on }))),
      snapshots: async () => {
        for (const s of await db!.snapshots(o.tenant === undefined ? undefined : on)) io.out(line(s))
      },
      diff: async () => {
        for await (const c of db!.diffIterate(need('from'), o.to, on)) io.out(line(c))
      },
      restore: async () => io.out(line(await db!.restore(need('snapshot'), on))),
      verify: async () => {
        const r = await db!.verify({ onProgress: (p) => io.err(`verify: ${p.done}/${p.total} roots`) })
        io.out(line(r))
        return r.ok ? 0 : 1
      },
      gc: async () => io.out(line(await db!.gc())),
      compact: async () => io.out(line(await db!.compact())),
      stats: async () => io.out(line(await db!.stats())),
      metrics: async () => io.out((await db!.metrics()).trimEnd()),
      export: async () => {
        const out = need('out')
        // keep a snapshot of what was exported: the --since of the next incremental export
        const bytes = await db!.exportBackup({ snapshot: o.snapshot, since: o.since, keepSnapshot: true, onProgress: progress('export'), ...on })
        writeFileSync(out, bytes)
        const { header, version } = readBackup(bytes)
        io.out(line({ file: out, bytes: bytes.length, version, ...header }))
      },
      import: async () => {
        const bytes = readFileSync(need('in'))
        io.out(line(await db!.importBackup(bytes, { onProgress: progress('import'), ...on, ...(o.tenant === undefined ? {} : { tenant: true }) })))
      },
      retention: async () => {
        const given = {
          ...(o['keep-last'] !== undefined ? { keepLast: count('keep-last') } : {}),
          ...(o['keep-for'] !== undefined ? { keepFor: count('keep-for') } : {}),
          ...(o['keep-named'] !== undefined ? { keepNamed: o['keep-named'] === 'true' } : {}),
        }
        if (Object.keys(given).length) await db!.setRetention(given, on)
        io.out(line(await db!.getRetention(on)))
      },
      tenants: async () => {
        for (const t of await db!.tenants({ space: o.space === true })) io.out(line(t))
      },
      'tenant-create': async () => {
        const from = o.from === undefined ? undefined : { tenant: o.from, ...(o.snapshot !== undefined ? { snapshot: o.snapshot } : {}) }
        io.out(line(await db!.createTenant(need('tenant'), { ...(from ? { from } : {}), ...(o['keep-last'] !== undefined ? { retention: { keepLast: count('keep-last') } } : {}) })))
      },
      'tenant-drop': async () => {
        await db!.dropTenant(need('tenant'))
        io.out(line({ dropped: o.tenant }))
      },
    }
    const progress = (phase: string) => (p: Progress) => io.err(`${phase}: ${p.done.toLocaleString('en-US')}/${p.total.toLocaleString('en-US')} entries`)
    const run = commands[cmd]
    if (!run) throw new UsageError(`unknown command '${cmd}'`)
    if (existsSync(o.db) && statSync(o.db).isFile()) {
      if (!READ_ONLY.has(cmd)) throw new UsageError(`${o.db} is a backup file, read only: ${cmd} needs a store directory`)
      const backup = await openBackup(o.db)
      db = backup.db
      if (o.snapshot === backup.snapshot) o.snapshot = undefined // the backup's state is the head here
    } else {
      db = await open(o.db, { checkpointDelayMs: 0 })
    }
    return (await run()) ?? 0
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`dbctl: ${(e as Error).message}\n${USAGE}`)
      return 2
    }
    const err = e as Error
    io.err(`dbctl: ${err.name}: ${err.message}`)
    return 1
  } finally {
    await db?.close().catch((e: Error) => io.err(`dbctl: ${e.name}: ${e.message}`))
  }
}
