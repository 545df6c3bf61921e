// @cowdb/sync/server: the sync server for Node, on Postgres (pg) or PGlite.
export { createSyncServer, type SyncServer, type SyncServerOptions } from './http.js'
export { staticTokens, signedTokens, signToken, type Authorize, type AuthRequest, type AuthResult, type Access, type Grant } from './auth.js'
export { openSql, type Sql, type SqlConfig, type Query } from './sql.js'
export { migrate, MIGRATIONS } from './schema.js'
export { SyncStore, NOTIFY_CHANNEL, type PushResult } from './store.js'
export { DEFAULT_LIMITS, type Limits } from '../protocol.js'
