/**
 * Runs `task` every `intervalMs` in the background, never two at once (a slow run delays the
 * next); a failure goes to `onError` and the next run goes ahead. `close()` stops the timer and
 * waits for a run in flight. The timer does not keep the process alive.
 */
export function repeat({
  intervalMs,
  task,
  onError,
}: {
  intervalMs: number;
  task: () => Promise<void>;
  onError: (error: unknown) => void;
}): { close(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  let closed = false;
  const timer = setInterval(() => {
    running = running.then(async () => {
      if (closed) return;
      try {
        await task();
      } catch (error) {
        onError(error);
      }
    });
  }, intervalMs);
  timer.unref();
  return {
    async close() {
      closed = true;
      clearInterval(timer);
      await running;
    },
  };
}
