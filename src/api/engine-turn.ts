/**
 * Engine turns: the account evaluations of concurrent requests run back to back, once per event-loop turn.
 *
 * A request's evaluation waits for `engineTurn()`, which resolves in the next check phase of the event loop (a
 * `setImmediate`), together with every other evaluation that became ready in the same turn (typically the requests
 * whose snapshot rows arrived in the same poll phase). Their evaluations then run one after another, and so do the
 * rest of their responses (execution, serialization), instead of each being interleaved with other requests' network
 * and protocol code.
 *
 * Why: under load, an evaluation that runs between other requests' work is much slower than the same evaluation
 * repeated at once: the engine's code and the market data it touches have been evicted from the CPU's caches by
 * everything the service ran in between. Back to back, a turn's evaluations after the first find them warm.
 * With one request at a time a turn holds one evaluation and costs one event-loop turn (microseconds).
 */
let waiting: (() => void)[] | null = null;

function runTurn(): void {
  const ready = waiting!;
  waiting = null;
  for (const resolve of ready) resolve();
}

/** Resolves in the next engine turn (see the module comment). */
export function engineTurn(): Promise<void> {
  return new Promise((resolve) => {
    if (waiting === null) {
      waiting = [];
      setImmediate(runTurn);
    }
    waiting.push(resolve);
  });
}
