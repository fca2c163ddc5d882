import type { Logger } from '../platform/log.ts';

/** Resolves on the first SIGINT or SIGTERM: how every long-running command ends. */
export function waitForSignal(log: Logger): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info('shutting down', { signal });
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
