export * from './types.js'
export * from './errors.js'
export * from './store.js'
export * from './memory-store.js'
