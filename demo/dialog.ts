// Asking first: a modal <dialog> (focus moves into it, Escape cancels, focus returns after).
import { $, h } from './dom.ts'

export type Ask = {
  title: string
  body: string
  confirm: string
  danger?: boolean
  /** With a text field: its label and starting value; the answer is the text. */
  input?: { label: string; value?: string; placeholder?: string; validate?: (v: string) => string | undefined }
}

/**
 * Opens the dialog; resolves to the typed text (or '' without a field) when confirmed, to
 * undefined when cancelled. Cost: O(1).
 */
export function ask(q: Ask): Promise<string | undefined> {
  const dialog = $<HTMLDialogElement>('ask')
  const field = q.input ? h('input', { id: 'ask-input', value: q.input.value ?? '', placeholder: q.input.placeholder, autocomplete: 'off', 'aria-describedby': 'ask-error' }) : undefined
  const error = h('p', { id: 'ask-error', class: 'field-error', 'aria-live': 'polite' })
  const ok = h('button', { type: 'submit', class: q.danger ? 'danger-solid' : '', value: 'ok' }, q.confirm)
  const cancel = h('button', { type: 'button', class: 'ghost', onclick: () => dialog.close('cancel') }, 'Cancel')
  const form = h(
    'form',
    { method: 'dialog' },
    h('h2', { id: 'ask-title' }, q.title),
    h('p', { class: 'muted' }, q.body),
    field ? h('label', { for: 'ask-input', class: 'field-label' }, q.input!.label) : null,
    field ?? null,
    error,
    h('div', { class: 'row end' }, cancel, ok),
  )
  form.addEventListener('submit', (e) => {
    const problem = field && q.input!.validate?.(field.value)
    if (problem) {
      e.preventDefault()
      error.textContent = problem
      field!.setAttribute('aria-invalid', 'true')
      field!.focus()
    }
  })
  dialog.replaceChildren(form)
  dialog.setAttribute('aria-labelledby', 'ask-title')
  dialog.returnValue = ''
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok' ? (field?.value ?? '') : undefined), { once: true })
    dialog.showModal()
    ;(field ?? cancel).focus()
  })
}
