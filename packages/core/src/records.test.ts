// Pins the WAL record bodies byte for byte. The crash and model tests encode and decode with the
// same code, so a symmetric change of format would pass them; stores written earlier would then
// replay wrongly. These bytes were produced by the record code as it stood before records.ts
// existed (format version 1): a change here is a format change and needs a migration.
import { describe, expect, it } from 'vitest'
import { encodeKey } from './keys.js'
import { encodeRangeOp, type EncodedOp } from './ops.js'
import { RecordType, decodeRecord, encodeRecord, type LogRecord } from './records.js'
import { CorruptionError } from './errors.js'

const GOLDEN = {
  commit:
    '000000046d61696e020000001f323032362d31312d33305431303a30303a30302e3030305a2d3030303030310000001f' +
    '323032362d31312d33305431303a30303a30302e3030305a2d3030303030320000000401000000042061000000000004' +
    'c1010203020000000f402078000010c01c00000000000000030700000004206b000000000004206c0000030900000009' +
    '10c014000000000000',
  commitNoHistory: '000000056472616674000000000101000000042061000000000004c1010203',
  snapshot:
    '0000001f323032362d31312d33305431303a30303a30302e3030305a2d3030303030334045000000000000427a22be5a' +
    '500000000000056e616d6564000000046d61696e010000000d6265666f726520c3a964697473',
  snapshotNoLabel:
    '0000001f323032362d31312d33305431303a30303a30302e3030305a2d3030303030334045000000000000427a22be5a' +
    '50000000000007686973746f7279000000046d61696e00',
  dropSnapshot: '0000001f323032362d31312d33305431303a30303a30302e3030305a2d303030303033',
  restore:
    '000000046d61696e020000001f323032362d31312d33305431303a30303a30302e3030305a2d3030303030310000001f' +
    '323032362d31312d33305431303a30303a30302e3030305a2d3030303030320000001f323032362d31312d3330543130' +
    '3a30303a30302e3030305a2d303030303033',
  move: '000000046d61696e0000001f323032362d31312d33305431303a30303a30302e3030305a2d303030303033',
  branch: '00000005647261667400000000',
  branchFrom: '0000000564726166740000001f323032362d31312d33305431303a30303a30302e3030305a2d303030303033',
  dropBranch: '000000056472616674',
  retention: '0000002b7b226b6565704c617374223a352c226b656570466f72223a302c226b6565704e616d6564223a747275657d',
}

const stamp = { branch: 'main', history: ['2026-11-30T10:00:00.000Z-000001', '2026-11-30T10:00:00.000Z-000002'] }
const id = '2026-11-30T10:00:00.000Z-000003'
const ops: EncodedOp[] = [
  { type: 'put', key: encodeKey('a'), value: new Uint8Array([0xc1, 1, 2, 3]) },
  { type: 'delete', key: encodeKey(['x', 7]) },
  encodeRangeOp({ gte: 'k', lt: 'l' }),
  encodeRangeOp({ gt: 5 }),
]
const snap = { id, generation: 42, createdAt: 1796032800000, kind: 'named' as const, branch: 'main', label: 'before édits' }

const cases: [keyof typeof GOLDEN, LogRecord][] = [
  ['commit', { type: RecordType.Commit, stamp, ops }],
  ['commitNoHistory', { type: RecordType.Commit, stamp: { branch: 'draft', history: [] }, ops: [ops[0]!] }],
  ['snapshot', { type: RecordType.Snapshot, snap }],
  ['snapshotNoLabel', { type: RecordType.Snapshot, snap: { id, generation: 42, createdAt: 1796032800000, kind: 'history', branch: 'main' } }],
  ['dropSnapshot', { type: RecordType.DropSnapshot, id }],
  ['restore', { type: RecordType.Restore, stamp, id }],
  ['move', { type: RecordType.Move, branch: 'main', id }],
  ['branch', { type: RecordType.Branch, name: 'draft', from: '' }],
  ['branchFrom', { type: RecordType.Branch, name: 'draft', from: id }],
  ['dropBranch', { type: RecordType.DropBranch, name: 'draft' }],
  ['retention', { type: RecordType.Retention, policy: { keepLast: 5, keepFor: 0, keepNamed: true } }],
]

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

// Records added for tenants (format 2, no migration: older bodies decode as before). A head's own
// retention is the Retention body with the head's name after it; a body without one is the
// database's retention, as every Retention record written before.
const TENANT_GOLDEN: [string, string, LogRecord][] = [
  ['retention of a head', GOLDEN.retention + '0000000461636d65', { type: RecordType.Retention, policy: { keepLast: 5, keepFor: 0, keepNamed: true }, branch: 'acme' }],
  ['tenant, empty', '0000000461636d65000000000000', { type: RecordType.Tenant, name: 'acme', start: 0, from: '' }],
  [
    'tenant, a clone at a snapshot, with its own retention',
    '0000000462657461020000001f323032362d31312d33305431303a30303a30302e3030305a2d303030303033010000002c7b226b6565704c617374223a332c226b656570466f72223a302c226b6565704e616d6564223a66616c73657d',
    { type: RecordType.Tenant, name: 'beta', start: 2, from: id, retention: { keepLast: 3, keepFor: 0, keepNamed: false } },
  ],
  ['drop tenant', '0000000461636d65', { type: RecordType.DropTenant, name: 'acme' }],
]

describe('WAL records', () => {
  it.each(TENANT_GOLDEN)('%s: pinned bytes both ways', (_, bytes, record) => {
    expect(hex(encodeRecord(record))).toBe(bytes)
    expect(decodeRecord(record.type, new Uint8Array(Buffer.from(bytes, 'hex')))).toStrictEqual(record)
  })

  it('a Retention body written before heads had their own decodes as the database\'s (no branch field)', () => {
    expect(decodeRecord(RecordType.Retention, new Uint8Array(Buffer.from(GOLDEN.retention, 'hex')))).toStrictEqual({ type: RecordType.Retention, policy: { keepLast: 5, keepFor: 0, keepNamed: true } })
  })

  it.each(cases)('%s encodes to the pinned bytes of format 1', (name, record) => {
    expect(hex(encodeRecord(record))).toBe(GOLDEN[name])
  })

  it.each(cases)('%s decodes from the pinned bytes to the same record', (name, record) => {
    const decoded = decodeRecord(record.type, new Uint8Array(Buffer.from(GOLDEN[name], 'hex')))
    expect(decoded).toEqual(record)
  })

  it('a group of records round-trips, each inside byte-identical to its own encoding', () => {
    const group: LogRecord = { type: RecordType.Group, records: [cases[0]![1], cases[2]![1]] }
    const bytes = encodeRecord(group)
    expect(decodeRecord(RecordType.Group, bytes.slice())).toEqual(group)
    const framed = (type: string, body: string) => type + (body.length / 2).toString(16).padStart(8, '0') + body
    expect(hex(bytes)).toBe('00000002' + framed('01', GOLDEN.commit) + framed('02', GOLDEN.snapshot))
  })

  it('rejects a record type it does not know as corruption', () => {
    expect(() => decodeRecord(99, new Uint8Array(0))).toThrow(CorruptionError)
  })
})
