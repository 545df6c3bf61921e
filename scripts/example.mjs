// `npm run example`: builds and packs the packages, installs the tarballs into examples/notes (as
// the registry would, without touching its package.json), and serves the app with Vite on $PORT
// (default 5174). Ctrl-C (or SIGTERM) stops Vite with it.
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureInstalled, root, run } from './setup.mjs'

ensureInstalled()
if (run('node', ['scripts/pnpm.mjs', 'run', '-r', 'build']) !== 0) process.exit(1)
const packed = mkdtempSync(join(tmpdir(), 'cowdb-example-'))
const filters = ['core', 'browser', 'react'].flatMap((p) => ['--filter', `./packages/${p}`])
if (run('node', ['scripts/pnpm.mjs', '-r', ...filters, 'pack', '--pack-destination', packed]) !== 0) process.exit(1)
const app = join(root, 'examples/notes')
const tarballs = readdirSync(packed).map((f) => join(packed, f))
const installed = run('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs], { cwd: app })
rmSync(packed, { recursive: true, force: true })
if (installed !== 0) process.exit(installed)
const port = process.env.PORT ?? '5174'
const vite = spawn(process.execPath, [join(app, 'node_modules/vite/bin/vite.js'), '--port', port, '--strictPort'], { cwd: app, stdio: 'inherit' })
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => vite.kill(signal))
vite.on('exit', (code) => process.exit(code ?? 1))
