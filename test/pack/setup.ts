// Packs each publishable package once for all specs (they read the tarballs' directory from
// $COWDB_TARBALLS) and removes the tarballs afterwards.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { packAll } from './apps.js'

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'cowdb-tarballs-'))
  packAll(dir)
  process.env.COWDB_TARBALLS = dir
  return () => rmSync(dir, { recursive: true, force: true })
}
