import { engineTurn } from '../../src/api/engine-turn';

/**
 * The check phase after every setImmediate queued so far (a timer would race the check phase when the process stalls
 * between phases, as on a loaded machine).
 */
const nextMacrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('engineTurn', () => {
  it('defers to the check phase: no microtask chain reaches it first', async () => {
    let resolved = false;
    void engineTurn().then(() => {
      resolved = true;
    });
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(resolved).toBe(false);
    await nextMacrotask();
    expect(resolved).toBe(true);
  });

  it('resolves every wait of a turn together, before callbacks queued after them', async () => {
    const events: (number | string)[] = [];
    for (let i = 0; i < 3; i++) void engineTurn().then(() => events.push(i));
    setImmediate(() => events.push('queued after'));
    await nextMacrotask();
    expect(events).toEqual([0, 1, 2, 'queued after']);
  });

  it('a wait started during a turn belongs to the next turn', async () => {
    const events: string[] = [];
    void engineTurn().then(() => {
      events.push('first turn');
      setImmediate(() => events.push('between'));
      void engineTurn().then(() => events.push('next turn'));
    });
    await nextMacrotask();
    await nextMacrotask();
    expect(events).toEqual(['first turn', 'between', 'next turn']);
  });
});
