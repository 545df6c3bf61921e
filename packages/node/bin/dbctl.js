#!/usr/bin/env node
// dbctl as npm and pnpm link it (node_modules/.bin/dbctl). This file is checked in rather than
// built, so the link can be made at install time, before `npm run build` creates dist/.
import { existsSync } from 'node:fs'

const cli = new URL('../dist/cli.js', import.meta.url)
if (!existsSync(cli)) {
  console.error('dbctl: @cowdb/node is not built (dist/cli.js is missing): run `npm run build` in the cowdb repository')
  process.exit(1)
}
await import(cli.href)
