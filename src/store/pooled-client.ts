/**
 * A pooled client while it is checked out. The pool listens for a client's 'error' event only while the client is
 * idle; a checked-out client whose connection fails (backend terminated, server stopped, socket reset) would emit an
 * unhandled 'error' and end the process. `checkOut` attaches a listener for as long as the holder has the client and
 * remembers the failure, so the holder releases the client as broken (the pool discards it and opens a new one).
 */
import type { Pool, PoolClient } from 'pg';

export interface CheckedOut {
  readonly client: PoolClient;
  /** The connection's failure while checked out, if any. */
  failure(): Error | undefined;
  /** Returns the client to the pool, discarding it when it failed (or when `error` is given). */
  release(error?: Error): void;
}

export async function checkOut(pool: Pool): Promise<CheckedOut> {
  const client = await pool.connect();
  let failure: Error | undefined;
  const onError = (error: Error) => {
    failure ??= error;
  };
  client.on('error', onError);
  let released = false;
  return {
    client,
    failure: () => failure,
    release(error) {
      if (released) return;
      released = true;
      client.off('error', onError);
      const broken = error ?? failure;
      client.release(broken ?? undefined);
    },
  };
}
