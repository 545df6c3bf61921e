// `npm start`: installs what is missing, builds the packages, and serves the playground. Vite runs
// as a child of this process: SIGINT, SIGTERM and SIGHUP sent to this process are passed on to it,
// and this process exits when it does, so stopping `npm start` never leaves a server behind.
import { spawn } from 'node:child_process'
import { constants } from 'node:os'
import { join } from 'node:path'
import { ensureInstalled, root, run } from './setup.mjs'

ensureInstalled()
if (run('node', ['scripts/pnpm.mjs', 'run', '-r', 'build']) !== 0) process.exit(1)
const port = process.env.PORT ?? '5173'
console.log(`\n> cowdb playground on http://localhost:${port}/`)
const vite = spawn(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), '--port', port, '--strictPort', '--host'], { cwd: root, stdio: 'inherit' })
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => vite.kill(signal))
vite.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 1)))
