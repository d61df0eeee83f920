// Stops a process cleanly on SIGINT or SIGTERM: the one shutdown path of every long-running
// command, kept apart so a command loads only what it runs.
import type { Logger } from 'pino';

export function closeOnSignals({
  close,
  logger,
}: {
  close: () => Promise<void>;
  logger: Logger;
}): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}
