// `npm start`: installs what is missing, builds the packages, and serves the playground.
import { ensureInstalled, run } from './setup.mjs'

ensureInstalled()
if (run('node', ['scripts/pnpm.mjs', 'run', '-r', 'build']) !== 0) process.exit(1)
const port = process.env.PORT ?? '5173'
console.log(`\n> cowdb playground on http://localhost:${port}/`)
process.exit(run('npx', ['vite', '--port', port, '--strictPort', '--host']))
