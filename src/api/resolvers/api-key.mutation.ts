/**
 * API key administration (ADMIN): createApiKey returns the plaintext once; revokeApiKey takes effect at once in this
 * process (the authentication cache forgets the key) and within API_KEY_CACHE_TTL_MS on other replicas.
 */
import type { MutationResolvers } from '../../generated/graphql';
import { apiKeyById, brokerExists, generateApiKey, insertApiKey, revokeApiKey } from '../../store/api-key.repository';
import { InputChecks } from '../input';
import { refuse, runWrite } from '../write';

export const apiKeyMutations: Pick<MutationResolvers, 'createApiKey' | 'revokeApiKey'> = {
  createApiKey: async (_parent, { input }, ctx) => {
    // The plaintext never enters the idempotency record (which stores the response): it is added after the write.
    let plaintext: string | null = null;
    const result = await runWrite(ctx, {
      operation: 'createApiKey',
      input,
      roles: ['ADMIN'],
      validate: () => {
        const checks = new InputChecks();
        checks.text('label', input.label, { max: 128 });
        if (input.role === 'BROKER') {
          if (!input.brokerId) checks.fail('brokerId', 'a BROKER key needs a brokerId');
          else checks.uuid('brokerId', input.brokerId);
        } else if (input.brokerId) {
          checks.fail('brokerId', `a ${input.role} key is not bound to a broker`);
        }
        return checks.errors;
      },
      execute: async (scope) => {
        if (input.brokerId && !(await brokerExists(scope.tx, input.brokerId))) {
          return refuse('NOT_FOUND', 'brokerId', `broker ${input.brokerId} not found`);
        }
        const { key } = generateApiKey();
        const apiKey = await insertApiKey(scope.tx, { key, role: input.role, brokerId: input.brokerId ?? null, label: input.label });
        if (!apiKey) throw Object.assign(new Error('API key prefix collision'), { code: '40001' });
        plaintext = key;
        await scope.audit({ brokerId: apiKey.brokerId, before: null, after: { apiKey } });
        return { apiKey };
      },
    });
    return { ...result, key: plaintext };
  },

  revokeApiKey: async (_parent, { input }, ctx) => {
    const result = await runWrite(ctx, {
      operation: 'revokeApiKey',
      input,
      roles: ['ADMIN'],
      validate: () => {
        const checks = new InputChecks();
        checks.uuid('id', input.id);
        return checks.errors;
      },
      execute: async (scope) => {
        const before = await apiKeyById(scope.tx, input.id, { forUpdate: true });
        if (!before) return refuse('NOT_FOUND', 'id', `API key ${input.id} not found`);
        const apiKey = (await revokeApiKey(scope.tx, input.id))!;
        await scope.audit({ brokerId: apiKey.brokerId, before: { apiKey: before }, after: { apiKey } });
        return { apiKey };
      },
    });
    // Committed (or replayed): the key stops authenticating in this process at once (the server's cache, told through
    // the context).
    if ('apiKey' in result && result.apiKey) ctx.onApiKeyRevoked(result.apiKey.id);
    return result;
  },
};
