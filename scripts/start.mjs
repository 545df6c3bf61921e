// `npm start`: installs what is missing, builds the packages, and serves the playground. Vite runs
// as a child of this process: SIGINT, SIGTERM and SIGHUP sent to this process are passed on to it,
// and this process exits when it does, so stopping `npm start` never leaves a server behind.
//
// `npm start -- --sync` also runs a sync server (PGlite in .cowdb-sync/, or $COWDB_SYNC_DATA, on
// port $COWDB_SYNC_PORT or 5315, tokens signed with a development secret) and hands the
// playground its URL and a token for database "playground" through Vite's env
// (VITE_COWDB_SYNC_URL, VITE_COWDB_SYNC_TOKEN): the page then syncs and shows a Sync card.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { constants } from 'node:os'
import { join } from 'node:path'
import { ensureInstalled, root, run } from './setup.mjs'

ensureInstalled()
if (run('node', ['scripts/pnpm.mjs', 'run', '-r', 'build']) !== 0) process.exit(1)
const port = process.env.PORT ?? '5173'
const children = []
const env = { ...process.env }

if (process.argv.includes('--sync')) {
  const syncPort = process.env.COWDB_SYNC_PORT ?? '5315'
  const data = process.env.COWDB_SYNC_DATA ?? join(root, '.cowdb-sync')
  // for this machine's playground only: a real deployment keeps its secret out of the repository
  const secret = process.env.COWDB_SYNC_SECRET ?? 'cowdb-playground-development-secret'
  const server = spawn(process.execPath, [join(root, 'packages/sync/dist/server/cli.js'), '--port', syncPort, '--data', data, '--secret', secret], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(server)
  const listening = await new Promise((resolve) => {
    const lines = createInterface({ input: server.stdout })
    lines.on('line', (l) => {
      console.log(`[sync] ${l}`)
      const m = /^listening on (\S+)/.exec(l)
      if (m) resolve(m[1])
    })
    server.once('exit', () => resolve(undefined))
  })
  if (!listening) {
    console.error('> the sync server did not start (see above)')
    process.exit(1)
  }
  const { signToken } = await import('../packages/sync/dist/server/index.js')
  env.VITE_COWDB_SYNC_URL = `${listening}/db/playground`
  env.VITE_COWDB_SYNC_TOKEN = signToken(secret, { db: 'playground', expiresInMs: 30 * 24 * 3600_000 })
  console.log(`> sync server on ${listening} (PGlite in ${data}); the playground syncs database "playground"`)
}

console.log(`\n> cowdb playground on http://localhost:${port}/`)
const vite = spawn(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), '--port', port, '--strictPort', '--host'], { cwd: root, stdio: 'inherit', env })
children.push(vite)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => children.forEach((c) => c.kill(signal)))
// the first child to end ends the others, then this process, with the child's code
for (const child of children) {
  child.on('exit', (code, signal) => {
    for (const other of children) if (other !== child && other.exitCode === null && other.signalCode === null) other.kill('SIGTERM')
    process.exitCode ??= code ?? 128 + (constants.signals[signal] ?? 1)
    Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : null))).then(() => process.exit())
  })
}
