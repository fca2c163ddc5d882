/** Every Postgres advisory lock promptscope takes, in one place so no two share a key (pg_advisory_lock takes a bigint). */
export const ADVISORY_LOCKS = {
  postgresMigrations: 7_263_001,
  clickhouseMigrations: 7_263_002,
  /** Held by the active alert scheduler for as long as its session lives. */
  scheduler: 7_263_003,
  /** Taken per transaction by the notification dispatcher. */
  alertDispatch: 7_263_004,
  /** Held by the process that builds the hourly rollup. */
  rollup: 7_263_005,
} as const;
