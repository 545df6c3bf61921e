// npm test step: the Prometheus alerting rules and a real metrics() output, checked by promtool.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { aptInstall, root } from '../setup.mjs'

/**
 * promtool (from Debian's `prometheus` package, installed when missing) checks
 * ops/prometheus/cowdb-rules.yml, runs its unit tests, and lints the metrics() text of a real
 * Node store (the built @cowdb/node). Returns how many of the three checks passed and failed.
 */
export function promtoolChecks(dir) {
  const has = () => spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0
  if (!has() && (!aptInstall('prometheus', 'promtool', { recommends: false }) || !has())) {
    console.error('promtool: could not install it (apt-get install prometheus); 3 checks not run')
    return { passed: 0, failed: 3 }
  }
  const sample = spawnSync('node', ['--input-type=module', '-e', `import { open } from './packages/node/dist/index.js'
    const db = await open(${JSON.stringify(join(dir, 'store'))}, { retention: { keepLast: 10 } })
    for (let i = 0; i < 200; i++) await db.put('k' + i, { i })
    await db.snapshot({ label: 'promtool' })
    await db.gc()
    process.stdout.write(await db.metrics())
    await db.close()`], { cwd: root, encoding: 'utf8' })
  if (sample.status !== 0) console.error(sample.stderr)
  const promtool = (args, input) => spawnSync('promtool', args, { cwd: root, input, stdio: [input === undefined ? 'ignore' : 'pipe', 'inherit', 'inherit'] }).status === 0
  const results = [
    ['check rules', promtool(['check', 'rules', 'ops/prometheus/cowdb-rules.yml'])],
    ['test rules', promtool(['test', 'rules', 'ops/prometheus/cowdb-rules.test.yml'])],
    ['check metrics (a real metrics() output)', sample.status === 0 && promtool(['check', 'metrics'], sample.stdout)],
  ]
  for (const [name, ok] of results) console.log(`promtool ${name}: ${ok ? 'ok' : 'FAILED'}`)
  const passed = results.filter(([, ok]) => ok).length
  return { passed, failed: results.length - passed }
}
