// Writes or reads one OPFS file through a sync access handle (dedicated workers only).
self.onmessage = async (e: MessageEvent<{ op: 'write' | 'read'; bytes?: number[] }>) => {
  const root = await navigator.storage.getDirectory()
  const file = await root.getFileHandle('harness.bin', { create: true })
  const handle = await file.createSyncAccessHandle()
  try {
    if (e.data.op === 'write') {
      const data = Uint8Array.from(e.data.bytes!)
      handle.truncate(0)
      handle.write(data, { at: 0 })
      handle.flush()
      postMessage({ written: data.length })
    } else {
      const out = new Uint8Array(handle.getSize())
      handle.read(out, { at: 0 })
      postMessage({ bytes: Array.from(out) })
    }
  } finally {
    handle.close()
  }
}
