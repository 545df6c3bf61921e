// npm test step: the sync suites again on a real Postgres server (Debian's postgresql, a
// temporary cluster run as the postgres user), instead of the embedded PGlite.
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { aptInstall, run } from '../setup.mjs'
import { addCounts, playwrightCounts, vitestCounts } from './reports.mjs'

/**
 * The sync suites again, on a real Postgres server instead of PGlite (the Chromium suite
 * e2e/sync*.spec.ts with one server process per device, the server contract, the merge
 * property, and packages/sync/test/postgres.test.ts: two server processes, kills at random):
 * installs Debian's `postgresql` when missing, starts it on port 5415 in a temporary data
 * directory (as the `postgres` user when we are root: initdb and postgres refuse to run as root),
 * runs the suites with COWDB_SYNC_POSTGRES set, stops it, and counts.
 */
export function syncOnPostgres(env, reports) {
  const binDir = () => {
    const base = '/usr/lib/postgresql'
    const v = existsSync(base) ? readdirSync(base).filter((d) => existsSync(join(base, d, 'bin/initdb'))).sort((a, b) => Number(b) - Number(a))[0] : undefined
    return v && join(base, v, 'bin')
  }
  if (!binDir() && (!aptInstall('postgresql') || !binDir())) {
    console.error('sync on postgres: could not install postgresql')
    return { passed: 0, failed: 1 }
  }
  const bin = binDir()
  const dir = mkdtempSync(join(tmpdir(), 'cowdb-pg-'))
  const root = process.getuid?.() === 0
  let uid, gid
  if (root) {
    const id = (f) => Number(spawnSync('id', [f, 'postgres'], { encoding: 'utf8' }).stdout.trim())
    uid = id('-u')
    gid = id('-g')
    chownSync(dir, uid, gid)
    chmodSync(dir, 0o700)
  }
  const asPg = (cmd, args) => (root ? run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]) : run(join(bin, cmd), args))
  const data = join(dir, 'data')
  let counts = { passed: 0, failed: 1 }
  const start = (port) => asPg('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']) === 0
  let port = 5415 // the next ones if something else listens there
  const initialized = asPg('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']) === 0
  while (initialized && !start(port) && port < 5420) port++
  if (initialized && port < 5420) {
    const pgEnv = { ...env, COWDB_SYNC_POSTGRES: `postgres://postgres@127.0.0.1:${port}/postgres` }
    const unitJson = join(reports, 'sync-pg-unit.json')
    const e2eJson = join(reports, 'sync-pg-e2e.json')
    // the Postgres-only tests, the server contract and the merge property (the engine's own suite
    // is the same code over HTTP; the Chromium suite below covers it end to end on Postgres)
    const files = ['packages/sync/test/postgres.test.ts', 'packages/sync/src/server/http.test.ts', 'packages/sync/test/merge.property.test.ts']
    const unitCode = run('npx', ['vitest', 'run', ...files, '--reporter=default', '--reporter=json', `--outputFile.json=${unitJson}`], { env: pgEnv })
    const e2eCode = run('npx', ['playwright', 'test', '-c', 'e2e/playwright.config.ts', '/sync[^/]*\\.spec\\.ts$', '--reporter=list,json'], { env: { ...pgEnv, PLAYWRIGHT_JSON_OUTPUT_NAME: e2eJson } })
    counts = addCounts(vitestCounts(unitJson, unitCode, 'sync on postgres'), playwrightCounts(e2eJson, e2eCode, 'sync on postgres'))
    asPg('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop'])
  } else {
    console.error(`sync on postgres: the cluster did not start; log: ${existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8') : '(none)'}`)
  }
  rmSync(dir, { recursive: true, force: true })
  return counts
}
