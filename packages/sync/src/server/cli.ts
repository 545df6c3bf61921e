#!/usr/bin/env node
// cowdb-sync-server: runs the sync server.
//   cowdb-sync-server [--port 5315] [--host 127.0.0.1] [--postgres URL | --data DIR]
//                     [--secret S | --tokens FILE.json] [--origin URL]...
//                     [--part-bytes N] [--page-bytes N] [--poll-ms N]
// Without --postgres the data lives in PGlite (Postgres in WASM) in --data DIR, or in memory.
// Tokens: --secret checks tokens made by signToken(); --tokens reads { "<token>": { "db": "notes" } }.
// Environment: COWDB_SYNC_SECRET, COWDB_SYNC_POSTGRES. Prints "listening on <url>" once ready.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { createSyncServer } from './http.js'
import { signedTokens, staticTokens } from './auth.js'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '5315' },
    host: { type: 'string', default: '127.0.0.1' },
    postgres: { type: 'string' },
    data: { type: 'string' },
    secret: { type: 'string' },
    tokens: { type: 'string' },
    origin: { type: 'string', multiple: true },
    'poll-ms': { type: 'string' },
    'part-bytes': { type: 'string' },
    'page-bytes': { type: 'string' },
  },
})
const secret = values.secret ?? process.env.COWDB_SYNC_SECRET
const postgres = values.postgres ?? process.env.COWDB_SYNC_POSTGRES
if (!secret && !values.tokens) {
  console.error('cowdb-sync-server: give --secret (or COWDB_SYNC_SECRET) or --tokens FILE.json')
  process.exit(2)
}
const authorize = values.tokens ? staticTokens(JSON.parse(readFileSync(values.tokens, 'utf8'))) : signedTokens(secret!)
const server = await createSyncServer({
  store: postgres ? { postgres } : { dataDir: values.data },
  authorize,
  ...(values.origin ? { origins: values.origin } : {}),
  ...(values['poll-ms'] ? { pollMs: Number(values['poll-ms']) } : {}),
  limits: {
    ...(values['part-bytes'] ? { partBytes: Number(values['part-bytes']) } : {}),
    ...(values['page-bytes'] ? { pageBytes: Number(values['page-bytes']) } : {}),
  },
})
const url = await server.listen(Number(values.port), values.host)
console.log(`listening on ${url} (${postgres ? 'postgres' : values.data ? `pglite ${values.data}` : 'pglite in memory'})`)
const stop = () => void server.close().then(() => process.exit(0))
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
