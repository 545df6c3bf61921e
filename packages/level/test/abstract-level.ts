// The abstract-level test suite (abstract-level/test, on tape) against CowdbLevel in Node, over
// core's in-memory store (`memory`) or the Node file store (`node`): every assertion the suite
// makes is counted in tape's closing lines ("# pass N", "# fail N"), which npm test reads.
//   npx tsx packages/level/test/abstract-level.ts memory|node
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test from 'tape'
import suite from 'abstract-level/test/index.js'
import { Database, MemoryStorage } from '@cowdb/core'
import { open } from '@cowdb/node'
import { CowdbLevel } from '../src/index.js'

const store = process.argv[2] ?? 'memory'
const dirs: string[] = []

function factory(options?: object) {
  if (store === 'node') {
    const dir = mkdtempSync(join(tmpdir(), 'cowdb-level-'))
    dirs.push(dir)
    return new CowdbLevel(() => open(dir), options)
  }
  const storage = new MemoryStorage() // one per database, reopened by each open (as files would be)
  return new CowdbLevel(() => Database.open(storage.reopen()), options)
}

if (store !== 'memory' && store !== 'node') throw new Error(`unknown store '${store}': memory or node`)
test.onFinish(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
suite({ test, factory })
