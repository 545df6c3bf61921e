// The Backups card. exportBackup() of the head leaves no snapshot behind unless asked
// (`keepSnapshot`: a 'backup' snapshot, the base of the next incremental backup). The card
// snapshots the head itself, exports that snapshot, and drops it afterwards unless "keep" is
// ticked. Kept ones are labelled 'backup' and offered as the base of an incremental export.
import type { Progress } from '@cowdb/browser'
import { app } from './app.ts'
import { $, h } from './dom.ts'
import { act } from './feedback.ts'
import { bytes, clock, num } from './format.ts'
import { sampleSoon } from './live.ts'

function progress(p: Progress): void {
  const bar = $<HTMLProgressElement>('backup-progress')
  bar.hidden = false
  bar.max = Math.max(1, p.total)
  bar.value = p.done
  $('backup-result').textContent = `${p.phase}: ${num(p.done)} / ${num(p.total)} entries`
}

function drawBases(): void {
  const select = $<HTMLSelectElement>('backup-since')
  const was = select.value
  const bases = app.catalog.snapshots.filter((s) => s.kind !== 'history' && (s.branch ?? 'main') === app.branch && (s.label === 'backup' || s.label?.startsWith('backup:')))
  select.replaceChildren(h('option', { value: '' }, 'full backup'), ...bases.reverse().map((s) => h('option', { value: s.id, selected: s.id === was }, `changes since the backup of ${clock(s.createdAt)}`)))
}

function download(data: Uint8Array, name: string): void {
  const link = h('a', { href: URL.createObjectURL(new Blob([data as BlobPart], { type: 'application/octet-stream' })), download: name })
  link.click()
  setTimeout(() => URL.revokeObjectURL(link.href), 1000)
}

/** Snapshots the head, exports it (`since`: only the changes from that snapshot) and drops the snapshot unless `keep`. Cost: O(keys) full, O(changed pages) incremental. */
export async function exportNow(keep: boolean, since: string | undefined): Promise<{ data: Uint8Array; kept: boolean }> {
  const branch = app.branch
  const snap = await app.db.snapshot({ label: 'backup', branch })
  try {
    const data = await app.db.exportBackup({ snapshot: snap.id, since, branch, onProgress: progress })
    return { data, kept: keep }
  } finally {
    if (!keep) await app.db.dropSnapshot(snap.id)
  }
}

/** Wires the card. Cost: O(1). */
export function wireBackup(): void {
  app.on(['catalog', 'select'], drawBases)
  $('export').onclick = () =>
    void act(
      $<HTMLButtonElement>('export'),
      async () => {
        const since = $<HTMLSelectElement>('backup-since').value || undefined
        const r = await exportNow($<HTMLInputElement>('backup-keep').checked, since)
        download(r.data, `cowdb-${app.branch}-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}${since ? '-incremental' : ''}.cowdb`)
        return { ...r, since }
      },
      ({ data, kept, since }) => {
        const text = `exported ${since ? 'the changes' : 'a full backup'} (${bytes(data.length)}); ${kept ? 'kept a “backup” snapshot as the base of the next incremental one' : 'no snapshot left behind'}`
        $('backup-result').textContent = text
        $('backup-progress').hidden = true
        return text
      },
    ).then(sampleSoon)
  $<HTMLInputElement>('import').onchange = (e) => {
    const input = e.target as HTMLInputElement
    const file = input.files?.[0]
    if (!file) return
    const branch = app.branch
    void act(
      null,
      async () => app.db.importBackup(new Uint8Array(await file.arrayBuffer()), { branch, onProgress: progress }),
      (s) => {
        const text = `imported ${file.name} into ${branch} in one commit (Undo brings the old head back); marked by snapshot “${s.label}”, the base for its next incremental backup`
        $('backup-result').textContent = text
        $('backup-progress').hidden = true
        input.value = ''
        return text
      },
    ).then(sampleSoon)
  }
}
