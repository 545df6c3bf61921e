export { open } from './open.js'
export { FileBlockFile } from './file-store.js'
export { FileMetaStore } from './meta-file.js'
export * from '@cowdb/core'
