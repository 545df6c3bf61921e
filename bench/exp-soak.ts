import { soak, smallStore } from './soak.ts'
await soak(Number(process.argv[2] ?? 100_000))
