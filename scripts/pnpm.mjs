#!/usr/bin/env node
// Runs the pnpm pinned in package.json's packageManager, needing only Node and npm:
// a global pnpm of that version if present, else `npx pnpm@<version>`.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const pinned = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).packageManager
const version = pinned.split('@')[1]

export function pnpm(args, opts = {}) {
  const have = spawnSync('pnpm', ['--version'], { encoding: 'utf8', shell: false })
  const direct = have.status === 0 && have.stdout.trim() === version
  const [cmd, argv] = direct ? ['pnpm', args] : ['npx', ['--yes', `pnpm@${version}`, ...args]]
  const r = spawnSync(cmd, argv, { stdio: 'inherit', cwd: root, ...opts })
  return r.status ?? 1
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exit(pnpm(process.argv.slice(2)))
}
