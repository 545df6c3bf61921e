// The Level workload in Chromium: @cowdb/level over the browser client (the engine in its worker,
// OPFS) beside browser-level (IndexedDB), both on the main thread, as an app would use them.
import { BrowserLevel } from 'browser-level'
import { openDB } from '@cowdb/browser'
import { CowdbLevel } from '@cowdb/level'
import { levelWorkload, type LevelFigures } from '../level.ts'

async function levelBench(n: number): Promise<{ cowdb: LevelFigures; 'browser-level': LevelFigures }> {
  const cow = new CowdbLevel<string, Uint8Array>(() => openDB(`level-bench-${Date.now()}`))
  await cow.open()
  const cowdb = await levelWorkload(cow, n)
  await cow.close()
  const idb = new BrowserLevel<string, Uint8Array>(`level-bench-${Date.now()}`)
  await idb.open()
  const peer = await levelWorkload(idb, n)
  await idb.close()
  return { cowdb, 'browser-level': peer }
}

Object.assign(window, { levelBench })
document.body.textContent = 'ready'
