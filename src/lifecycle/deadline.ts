/** Waits for `p` at most `ms`; never leaves a timer behind (a pending timer would keep the process alive). */
export async function settleWithin<T>(p: Promise<T>, ms: number): Promise<{ status: 'ok'; value: T } | { status: 'error'; error: unknown } | { status: 'timeout' }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ status: 'timeout' }>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'timeout' }), Math.max(0, ms));
  });
  try {
    return await Promise.race([
      p.then(
        (value) => ({ status: 'ok' as const, value }),
        (error: unknown) => ({ status: 'error' as const, error }),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
