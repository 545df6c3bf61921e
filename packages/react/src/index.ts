export { useValue, type ValueSource } from './use-value.js'
export { useScan, type ScanSource } from './use-scan.js'
export { useLive, queryId, type Live, type Subscribable } from './live.js'
