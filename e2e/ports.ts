// A port nothing listens on now, for servers a test starts itself (a fixed port can meet a
// server left by something else on the machine, and the test would talk to the wrong one).
import { createServer } from 'node:net'

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
    s.on('error', reject)
  })
}
