// scratch: bytes allocated per key and keys/s of a 100,000-key batch, main vs this tree, alternating
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { allocated } from './alloc.ts'
import { dataset, median } from './measure.ts'
const root = join(import.meta.dirname, '..')
const ref = process.argv[2] ?? 'main'
const sha = execFileSync('git', ['rev-parse', '--short', ref], { cwd: root, encoding: 'utf8' }).trim()
const dir = join(tmpdir(), `cowdb-ab-${sha}`)
if (!existsSync(join(dir, 'packages/node/dist/index.js'))) {
  if (!existsSync(dir)) execFileSync('git', ['worktree', 'add', '--detach', dir, sha], { cwd: root, stdio: 'inherit' })
  execFileSync('node', ['scripts/pnpm.mjs', 'install', '--frozen-lockfile', '--offline'], { cwd: dir, stdio: 'inherit' })
  execFileSync('npx', ['tsc', '-b', 'packages/core', 'packages/node'], { cwd: dir, stdio: 'inherit' })
}
const apis = { [ref]: await import(pathToFileURL(join(dir, 'packages/node/dist/index.js')).href), 'this tree': await import('@cowdb/node') }
const n = 100_000
const { keys, value } = dataset(n)
const ops = keys.map((key) => ({ type: 'put' as const, key, value }))
const res: Record<string, { heap: number[]; ext: number[]; kps: number[] }> = {}
for (let round = 0; round < Number(process.argv[3] ?? 7); round++) {
  for (const [name, api] of Object.entries(apis)) {
    const d = mkdtempSync(join(tmpdir(), 'cowdb-abA-'))
    let ms = 0
    const a = await allocated(async () => { const t = performance.now(); const db = await api.open(d, { checkpointDelayMs: 0 }); await db.batch(ops); await db.close(); ms = performance.now() - t })
    rmSync(d, { recursive: true, force: true })
    const r = (res[name] ??= { heap: [], ext: [], kps: [] })
    r.heap.push(a.heap / n); r.ext.push(a.external / n); r.kps.push(n / ms * 1000)
  }
}
for (const [name, r] of Object.entries(res)) console.log(`${name}: heap ${median(r.heap).toFixed(0)} B/key (${Math.min(...r.heap).toFixed(0)}–${Math.max(...r.heap).toFixed(0)}), external ${median(r.ext).toFixed(0)} B/key, ${median(r.kps).toFixed(0)} keys/s (${Math.min(...r.kps).toFixed(0)}–${Math.max(...r.kps).toFixed(0)})`)
