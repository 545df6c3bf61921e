import { it } from 'vitest'
import { run } from './database.model.test.js'
it.runIf(!!process.env.COWDB_REPRO)('repro', async () => {
  await run(JSON.parse(process.env.COWDB_REPRO!))
})
