// Takes OPFS sync access handles away from this worker's scope (imported first by unsupported-worker.ts).
delete (FileSystemFileHandle.prototype as { createSyncAccessHandle?: unknown }).createSyncAccessHandle
