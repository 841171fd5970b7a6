import type { Database } from '../../src/store/database';
import { createContext, dropRequestState, releaseRequest, type GraphQLContext } from '../../src/api/context';
import { createLogger } from '../../src/server/logger';

/** A context over a pool that fails every connection: no statement runs in these tests. */
function testContext(queries: unknown[]): GraphQLContext {
  const pool = { connect: async () => { queries.push('connect'); throw new Error('no database in this test'); } };
  return createContext({ db: { pool } as unknown as Database, requestId: 'r', logger: createLogger('silent'), principal: { apiKeyId: 'k', role: 'MONITOR', brokerId: null, label: 'k' } });
}

describe('releaseRequest', () => {
  it('ABORTED: empties every loader cache and ends the read snapshot, but keeps the state a running request may use', async () => {
    // The loaders are primed: a load after the release must go back to the database.
    const queries: unknown[] = [];
    const ctx = testContext(queries);
    const after = jest.fn();
    ctx.afterResponse.push(after);
    ctx.loaders.asset.prime('USDC', null);
    ctx.risk.prime('a', {} as never);
    await expect(ctx.loaders.asset.load('USDC')).resolves.toBeNull();
    expect(queries).toEqual([]);

    releaseRequest(ctx, 'ABORTED');

    await expect(ctx.loaders.asset.load('USDC')).rejects.toThrow('read snapshot already released');
    await expect(ctx.risk.load('a')).rejects.toThrow('read snapshot already released');
    await expect(ctx.snapshot.query('SELECT 1')).rejects.toThrow('read snapshot already released');
    expect(after).not.toHaveBeenCalled();
  });

  it('SENT: also runs the afterResponse work once and lets go of the snapshot, loaders, engine results and logger', async () => {
    const queries: unknown[] = [];
    const ctx = testContext(queries);
    const snapshot = ctx.snapshot;
    const after = jest.fn();
    ctx.afterResponse.push(after);
    ctx.risk.prime('a', {} as never);

    releaseRequest(ctx, 'SENT');

    expect(after).toHaveBeenCalledTimes(1);
    expect(ctx.afterResponse).toEqual([]);
    expect([ctx.snapshot, ctx.loaders, ctx.risk, ctx.logger]).toEqual([null, null, null, null]);
    await expect(snapshot.query('SELECT 1')).rejects.toThrow('read snapshot already released');
    // The rest stays readable (request id, principal, evaluation time), and a second release is a no-op.
    expect(ctx.requestId).toBe('r');
    expect(() => releaseRequest(ctx, 'SENT')).not.toThrow();
    expect(after).toHaveBeenCalledTimes(1);
    expect(queries).toEqual([]);
  });

  it("dropRequestState clears a shallow copy's state too (Apollo hands plugins and resolvers a copy)", () => {
    const ctx = testContext([]);
    const copy = { ...ctx };
    dropRequestState(copy);
    expect([copy.snapshot, copy.loaders, copy.risk, copy.logger]).toEqual([null, null, null, null]);
    expect(ctx.loaders).not.toBeNull();
  });
});
