/**
 * Graceful HTTP drain that answers or refuses every request, keep-alive connections included.
 *
 * From `beginDrain()` on, every response carries `Connection: close`: node closes the connection once the response is
 * written, and the client opens a new one (to another replica) for its next request. `close()` then stops accepting
 * connections and destroys the idle ones at once (a request a client may have been sending on one is refused at the
 * connection, never read, so never executed), waits for the requests in flight to be answered, and destroys whatever
 * is left after `graceMs`.
 *
 * (Apollo's drain plugin half-closed idle keep-alive sockets with `socket.end()`: the read side stayed open, so a
 * request already on its way was read and executed, and its response could no longer be written.)
 */
import type http from 'node:http';

export interface HttpDrain {
  /** Responses from now on carry `Connection: close`. */
  beginDrain(): void;
  /** Stops accepting, refuses idle connections, waits for in-flight requests (at most `graceMs`), then closes all. */
  close(graceMs: number): Promise<void>;
}

export function httpDrain(server: http.Server): HttpDrain {
  let draining = false;
  /** Responses in flight (no per-response wrapper: node's response objects keep their shape). */
  const inFlight = new Set<http.ServerResponse>();
  let onIdle: (() => void) | null = null;
  const closeAfter = (res: http.ServerResponse): void => {
    if (!res.headersSent) res.setHeader('connection', 'close');
  };
  // Registered first, so the header is set before any handler writes the response.
  server.prependListener('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    inFlight.add(res);
    if (draining) closeAfter(res);
    res.once('close', () => {
      inFlight.delete(res);
      if (inFlight.size === 0 && onIdle) onIdle();
    });
  });
  const beginDrain = (): void => {
    draining = true;
    // Responses begun before the drain but not yet written close their connection too.
    for (const res of inFlight) closeAfter(res);
  };
  return {
    beginDrain,
    async close(graceMs) {
      beginDrain();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => {
            onIdle = resolve;
          }),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, graceMs);
          }),
        ]);
        if (timer) clearTimeout(timer);
      }
      // Connections whose last response went out close themselves (Connection: close); anything left is cut.
      server.closeIdleConnections();
      server.closeAllConnections();
      await closed;
    },
  };
}
