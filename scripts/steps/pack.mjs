// npm test steps of the install-and-run suite (test/pack) and of the abstract-level suite on
// @cowdb/level. `pack`: a Playwright project that packs the packages and installs the tarballs
// into apps outside the repository (its Chromium run of the abstract-level suite writes tape's
// counts to `levelCounts`). `level`: tape's assertion counts of the same suite in Node, over the
// memory and file stores, plus Chromium's from the pack step, every assertion counted.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { root, run } from '../setup.mjs'
import { playwrightCounts } from './reports.mjs'

/** Runs test/pack; returns its test counts. */
export function packTests(reports, env) {
  const out = join(reports, 'pack.json')
  const code = run('npx', ['playwright', 'test', '-c', 'test/pack/playwright.config.ts', '--reporter=list,json'], { env: { ...env, PLAYWRIGHT_JSON_OUTPUT_NAME: out, COWDB_LEVEL_COUNTS: join(reports, 'level-chromium.json') } })
  return playwrightCounts(out, code, 'pack')
}

/** The abstract-level suite's assertions: Node (memory, file store), and Chromium from the pack step. */
export function levelSuite(reports) {
  const total = { passed: 0, failed: 0 }
  const add = (where, c) => {
    console.log(`  ${where}: ${c.passed} assertions passed, ${c.failed} failed`)
    total.passed += c.passed
    total.failed += c.failed
  }
  for (const store of ['memory', 'node']) {
    const r = spawnSync('npx', ['tsx', 'packages/level/test/abstract-level.ts', store], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28 })
    const out = `${r.stdout}\n${r.stderr}`
    for (const line of out.split('\n')) if (line.startsWith('not ok')) console.log(`  ${line}`)
    const count = (re) => Number(out.match(re)?.[1] ?? 0)
    add(`Node, ${store} store`, { passed: count(/^# pass\s+(\d+)/m), failed: count(/^# fail\s+(\d+)/m) + (r.status !== 0 && !/^# fail/m.test(out) ? 1 : 0) })
  }
  const chromium = join(reports, 'level-chromium.json')
  add('Chromium, browser client (pack step)', existsSync(chromium) ? JSON.parse(readFileSync(chromium, 'utf8')) : { passed: 0, failed: 1 })
  return total
}
