export { CowdbLevel, type CowdbDatabase, type CowdbSource } from './level.js'
export { CowdbIterator } from './iterator.js'
export { CowdbSnapshot, SNAPSHOT_LABEL } from './snapshot.js'
