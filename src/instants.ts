/**
 * The last instant promptscope stores (DateTime64(9) in the span tables): 2262-04-11T23:47:16.854Z, in Unix
 * milliseconds. Every time a user gives — a query's range, a silence's end however it is written — stays within it.
 */
export const LAST_INSTANT_MS = 9_223_372_036_854;
