// cowdb's worker in a scope without Web Locks, as in a browser that lacks them
// (e2e/boundary.spec.ts): openDB must reject with UnsupportedError naming the feature. Imports run
// in order, so the feature is gone before the worker starts.
import './no-web-locks.ts'
import '@cowdb/browser/worker'
