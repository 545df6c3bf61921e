// The server as a process on PGlite (its embedded default), SIGKILLed mid-push and mid-pull:
// nothing lost, nothing applied twice, convergence. (postgres.test.ts runs these and the kills at
// random moments on a real Postgres; there, this file gives way to it.)
import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { pgliteDir, POSTGRES, SECRET } from './harness.js'
import { serverProcess } from './process.js'
import { killMidPull, killMidPush, type Backend } from './scenarios.js'

let dir = ''
beforeAll(async () => {
  if (!POSTGRES) dir = await pgliteDir()
})
afterAll(() => void (dir && rmSync(dir, { recursive: true, force: true })))

// one data directory and port across restarts, as a real deployment: the first start takes a
// free port, the restarts take the same one
let port = '0'
const start: Backend = async () => {
  const server = await serverProcess(['--port', port, '--data', dir, '--secret', SECRET, '--part-bytes', '4096', '--page-bytes', '4096', '--poll-ms', '200'])
  port = new URL(server.url).port
  return server
}

describe.skipIf(POSTGRES)('server process on PGlite, killed', () => {
  it('mid-push: the device retries, one change set lands', () => killMidPush(start), 180_000)
  it('mid-pull: the device retries with backoff on its own', () => killMidPull(start), 180_000)
})
