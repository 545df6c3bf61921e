// Counts from the test runners' JSON reports, with the names of the tests that failed, so that
// the last lines `npm test` prints say which test to look at (CI shows only the tail of the log).
import { existsSync, readFileSync } from 'node:fs'

const readJson = (file) => (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined)
/** The first line of an error message, without terminal colours, at most 200 characters. */
export const firstLine = (message = '') => message.replace(/\x1b\[[0-9;]*m/g, '').split('\n')[0].slice(0, 200)

/**
 * A Playwright JSON report: flaky tests count as failures (no retries are configured, so a
 * flaky result means a config changed). A missing report or a non-zero exit with no failed test
 * counts as one failure, named after the suite.
 */
export function playwrightCounts(file, code, label) {
  const p = readJson(file)
  if (!p) return { passed: 0, failed: 1, failures: [`${label}: no report (exit ${code})`] }
  const failures = []
  const walk = (suite, path) => {
    for (const spec of suite.specs ?? []) {
      for (const test of spec.tests ?? []) {
        if (test.status === 'unexpected' || test.status === 'flaky') {
          const error = firstLine(test.results?.at(-1)?.error?.message)
          failures.push(`${label}: ${[...path, spec.title].join(' › ')} (${spec.file}:${spec.line})${error ? ` — ${error}` : ''}`)
        }
      }
    }
    for (const child of suite.suites ?? []) walk(child, child.title && !child.title.endsWith('.ts') ? [...path, child.title] : path)
  }
  for (const suite of p.suites ?? []) walk(suite, [])
  const failed = p.stats.unexpected + p.stats.flaky
  if (code !== 0 && failed === 0) failures.push(`${label}: exit ${code} with no failed test`)
  return { passed: p.stats.expected, failed: failed + (code !== 0 && failed === 0 ? 1 : 0), failures }
}

/** A vitest JSON report, read the same way. */
export function vitestCounts(file, code, label) {
  const u = readJson(file)
  if (!u) return { passed: 0, failed: 1, failures: [`${label}: no report (exit ${code})`] }
  const failures = []
  for (const f of u.testResults ?? []) {
    for (const a of f.assertionResults ?? []) {
      if (a.status === 'failed') failures.push(`${label}: ${a.fullName} (${f.name.replace(process.cwd() + '/', '')}) — ${firstLine(a.failureMessages?.[0])}`)
    }
    if (f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed')) failures.push(`${label}: ${f.name} — ${firstLine(f.message)}`)
  }
  const failed = u.numFailedTests + (code !== 0 && !u.numFailedTests ? 1 : 0)
  if (code !== 0 && !u.numFailedTests && failures.length === 0) failures.push(`${label}: exit ${code} with no failed test`)
  return { passed: u.numPassedTests, failed, failures }
}

/** Adds counts up, keeping every failure's name. */
export function addCounts(...all) {
  return all.reduce((t, c) => ({ passed: t.passed + c.passed, failed: t.failed + c.failed, failures: [...t.failures, ...(c.failures ?? [])] }), { passed: 0, failed: 0, failures: [] })
}
