// The benchmark page, driven from bench/run.ts through Playwright. It exposes each part on
// window so run.ts can print progress between them.
import { mainThreadBench } from './main-thread.ts'
import { roundTrips } from './round-trip.ts'
import { copyAtScale, peerRows, peersBench } from './peers.ts'
import { clientCost } from './client-cost.ts'
import { coldPhase, followerSetup, readPhase, sharedSetup, sharedTeardown, stopWriting, writer, writerCommits, writerCost } from './shared-reads.ts'

Object.assign(window, { mainThreadBench, peersBench, peerRows, copyAtScale, roundTrips, clientCost, sharedSetup, followerSetup, readPhase, coldPhase, writerCost, sharedTeardown, writer, writerCommits, stopWriting })
document.body.textContent = 'ready'
