// Polling for a condition with a deadline, instead of sleeping and hoping: the
// deadline only bounds how long a broken run takes to fail, it is not a claim
// about how fast anything is.

export interface WaitOptions {
  /** Give up after this long (default 20 s). */
  timeoutMs?: number;
  /** Poll interval (default 75 ms). */
  intervalMs?: number;
  /** On failure, what the awaited state looked like last (appended to the error). */
  detail?: () => string | Promise<string>;
}

/**
 * Calls `check` until it returns something other than `undefined`, `null` or `false`
 * and returns that. Errors thrown by `check` count as "not yet"; the last one is in
 * the failure message, which says what was awaited.
 */
export async function waitFor<T>(check: () => T | undefined | null | false | Promise<T | undefined | null | false>, what: string, options: WaitOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const intervalMs = options.intervalMs ?? 75;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  let detail = lastError ? ` (last error: ${(lastError as Error).message ?? String(lastError)})` : '';
  if (options.detail) {
    try {
      detail += `\n${await options.detail()}`;
    } catch (err) {
      detail += `\n(detail unavailable: ${(err as Error).message})`;
    }
  }
  throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms${detail}`);
}
