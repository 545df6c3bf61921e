// The byte layout of a stored value (docs/values.md has the same table, with examples).
// Shared by the encoder (values-encode.ts) and the decoder (values-decode.ts) so the two can
// never disagree about a number.
//
// A value is one format byte, then (except for FORMAT_BYTES) one tagged item. An item is a tag
// byte and what the tag says follows. Multi-byte numbers are little-endian; lengths and
// counts are unsigned LEB128 varints unless the tag says otherwise.

/** Format byte: version 1, one tagged item, no back references. */
export const FORMAT_V1 = 0x10
/** Format byte: version 1, one tagged item that contains back references (0x9E). */
export const FORMAT_V1_REFS = 0x11
/** Format byte: version 1, the whole value is a plain Uint8Array whose bytes follow. */
export const FORMAT_V1_BYTES = 0x12

// Tags. 0x00–0x7F: the integer itself (0–127). 0xA0–0xBF: a UTF-8 string of (tag & 31) bytes.
// 0xE0–0xFF: the integer tag - 256 (-32 to -1). 0xC0–0xDF are unused (a decode error).
export const T_UNDEFINED = 0x80
export const T_NULL = 0x81
export const T_FALSE = 0x82
export const T_TRUE = 0x83
/** int8. */
export const T_INT8 = 0x84
/** int16 LE. */
export const T_INT16 = 0x85
/** int32 LE. */
export const T_INT32 = 0x86
/** float64 LE: every number the shorter tags cannot hold, incl. -0, NaN, ±Infinity. */
export const T_FLOAT64 = 0x87
/** bigint in [-2^63, 2^63): int64 LE. */
export const T_BIGINT64 = 0x88
/** bigint >= 2^63: varint byte count, magnitude LE. */
export const T_BIGINT_POS = 0x89
/** bigint < -2^63: varint byte count, magnitude LE. */
export const T_BIGINT_NEG = 0x8a
/** UTF-8 string, u8 byte length. */
export const T_STR8 = 0x8b
/** UTF-8 string, u16 LE byte length. */
export const T_STR16 = 0x8c
/** UTF-8 string, u32 LE byte length. */
export const T_STR32 = 0x8d
/** A string that is not well-formed UTF-16 (a lone surrogate): varint unit count, u16 LE units. */
export const T_UTF16 = 0x8e
/** A hole in an array (T_ARRAY element slots only). */
export const T_HOLE = 0x8f
/** Plain object: (key, value)* T_END. Keys are string items. */
export const T_OBJECT = 0x90
/** Array without holes or extra properties: varint length, then that many items. */
export const T_ARRAY_DENSE = 0x91
/** Array: varint length, that many items or T_HOLE, then extra (key, value)* T_END. */
export const T_ARRAY = 0x92
/** Sparse array: varint length, then (key, value)* T_END for every own enumerable key. */
export const T_ARRAY_SPARSE = 0x93
/** Map: (key, value)* T_END. */
export const T_MAP = 0x94
/** Set: value* T_END. */
export const T_SET = 0x95
/** Date: float64 LE time value (NaN for an invalid date). */
export const T_DATE = 0x96
/** RegExp: source string item, flags string item. */
export const T_REGEXP = 0x97
/** Boxed primitive (new Number, new String, Object(1n), new Boolean): the primitive item. */
export const T_BOXED = 0x98
/** Error: u8 ERROR_KINDS index, u8 fields (1 message, 2 stack, 4 cause), then those items. */
export const T_ERROR = 0x99
/** ArrayBuffer: varint byte length, bytes. */
export const T_ARRAYBUFFER = 0x9a
/** Resizable ArrayBuffer: varint byte length, varint max byte length, bytes. */
export const T_ARRAYBUFFER_RESIZABLE = 0x9b
/** Typed array or DataView with a buffer of its own: u8 VIEW_KINDS index, varint byte length, bytes. */
export const T_VIEW = 0x9c
/**
 * Typed array or DataView on a buffer that something else in the value also reaches: u8 kind,
 * the buffer item (T_ARRAYBUFFER* or T_REF), varint byte offset, varint byte length, u8 flags
 * (1: length-tracking).
 */
export const T_VIEW_ON = 0x9d
/** Back reference: varint ordinal of an object met earlier (objects are numbered in order met). */
export const T_REF = 0x9e
/** End of a (key, value) or value list. */
export const T_END = 0x9f
export const T_FIXSTR = 0xa0

/** Error prototypes structuredClone keeps (any other name comes back as Error). */
export const ERROR_KINDS = ['Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError'] as const
export const ERROR_MESSAGE = 1
export const ERROR_STACK = 2
export const ERROR_CAUSE = 4

/** Typed array kinds, then DataView; the index is the kind byte of T_VIEW and T_VIEW_ON. */
export const VIEW_KINDS = [
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'Float16Array', 'DataView',
] as const
export const KIND_FLOAT16 = 11
export const KIND_DATAVIEW = 12
/** Bytes per element of each VIEW_KINDS entry. */
export const VIEW_ELEMENT_BYTES = [1, 1, 1, 2, 2, 4, 4, 4, 8, 8, 8, 2, 1] as const
