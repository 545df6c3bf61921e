// The server as a process on PGlite (its embedded default), SIGKILLed mid-push, mid-pull and at
// random moments under three writing devices: nothing lost, nothing applied twice, convergence.
import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { pgliteDir, SECRET } from './harness.js'
import { serverProcess } from './process.js'
import { killAtRandom, killMidPull, killMidPush, type Backend } from './scenarios.js'

let dir: string
beforeAll(async () => {
  dir = await pgliteDir()
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// one data directory and port across restarts, as a real deployment
const start: Backend = () => serverProcess(['--port', '5315', '--data', dir, '--secret', SECRET, '--part-bytes', '4096', '--page-bytes', '4096', '--poll-ms', '200'])

describe('server process on PGlite, killed', () => {
  it('mid-push: the device retries, one change set lands', () => killMidPush(start), 180_000)
  it('mid-pull: the device retries with backoff on its own', () => killMidPull(start), 180_000)
  it('at random moments under three writing devices', () => killAtRandom(start, Number(process.env.COWDB_SEED ?? 7)), 240_000)
})
