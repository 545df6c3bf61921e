import React from 'react'
import { createRoot } from 'react-dom/client'
import { openDB } from '@cowdb/browser'
import { App } from './App.jsx'

// One database for every tab of the app: the first tab's worker owns the files, the others share
// it, and each tab's hooks re-render on every change, whichever tab made it.
const db = await openDB('notes', { retention: { keepLast: 200 } })
window.db = db // to try things from the console
createRoot(document.getElementById('root')).render(<App db={db} />)
