import type { Database } from '../../src/store/database';
import { createContext, releaseRequestCaches } from '../../src/api/context';
import { createLogger } from '../../src/server/logger';

describe('releaseRequestCaches', () => {
  it('empties every loader cache of the request, so a finished request holds none of its reads or results', async () => {
    // No statement runs here: the loaders are primed, and a load after the release must go back to the database.
    const queries: unknown[] = [];
    const pool = { connect: async () => { queries.push('connect'); throw new Error('no database in this test'); } };
    const ctx = createContext({ db: { pool } as unknown as Database, requestId: 'r', logger: createLogger('silent'), principal: { apiKeyId: 'k', role: 'MONITOR', brokerId: null, label: 'k' } });
    ctx.loaders.asset.prime('USDC', null);
    ctx.risk.prime('a', {} as never);
    await expect(ctx.loaders.asset.load('USDC')).resolves.toBeNull();
    expect(queries).toEqual([]);

    releaseRequestCaches(ctx);

    await expect(ctx.loaders.asset.load('USDC')).rejects.toThrow('no database in this test');
    await expect(ctx.risk.load('a')).rejects.toThrow('no database in this test');
    expect(queries.length).toBeGreaterThan(0);
  });
});
