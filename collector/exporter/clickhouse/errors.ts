/**
 * ClickHouse error codes that say the data itself is bad (cannot be parsed, out of range for its column, refused by
 * a materialized view): the same rows fail the same way however often they are sent.
 */
const DATA_ERROR_CODES = new Set([
  6, // CANNOT_PARSE_TEXT
  25, // CANNOT_PARSE_ESCAPE_SEQUENCE
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  32, // ATTEMPT_TO_READ_AFTER_EOF
  33, // CANNOT_READ_ALL_DATA
  36, // BAD_ARGUMENTS
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  43, // ILLEGAL_TYPE_OF_ARGUMENT
  53, // TYPE_MISMATCH
  62, // SYNTAX_ERROR
  69, // ARGUMENT_OUT_OF_BOUND
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  117, // INCORRECT_DATA
  131, // TOO_LARGE_STRING_SIZE
  190, // SIZES_OF_ARRAYS_DONT_MATCH
  321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  349, // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
  407, // DECIMAL_OVERFLOW
]);

/**
 * The ClickHouse error code of a failed insert: `@clickhouse/client` gives it as `code`, chDB only in the message
 * ("Code: 25. DB::Exception: ...").
 */
export function clickhouseErrorCode(error: unknown): number | undefined {
  const code = Number((error as { code?: unknown })?.code);
  if (Number.isInteger(code) && code > 0) return code;
  const match = /\bCode: (\d+)\./.exec(String((error as Error)?.message ?? ''));
  return match ? Number(match[1]) : undefined;
}

/**
 * Whether an insert failure may succeed later (ClickHouse down, overloaded, a missing table someone will create) or
 * is about the rows themselves, which are then isolated and dead-lettered.
 */
export function isRetryable(error: unknown): boolean {
  const code = clickhouseErrorCode(error);
  return code === undefined || !DATA_ERROR_CODES.has(code);
}
