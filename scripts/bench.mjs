// `npm run bench`: the benchmarks (Node engines, then the browser ones in headless Chromium).
import { ensureChromium, ensureInstalled, run } from './setup.mjs'

ensureInstalled()
if (run('node', ['scripts/pnpm.mjs', 'run', '-r', 'build']) !== 0) process.exit(1)
const env = { ...process.env, CHROMIUM_PATH: ensureChromium() }
process.exit(run('npx', ['tsx', 'bench/run.ts', ...process.argv.slice(2)], { env }))
