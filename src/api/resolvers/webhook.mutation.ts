/**
 * Webhook administration (ADMIN): registerWebhook returns the signing secret once; updateWebhook changes the URL or
 * description or enables / disables the endpoint; deleteWebhook removes it with its delivery log. Reads: `webhooks`
 * (ADMIN: any broker's; BROKER: its own) and each endpoint's delivery log.
 *
 * A URL is checked for its form before the database is touched, and its host's DNS answers inside the write (the
 * SSRF guard, src/monitoring/webhook-target.ts): a refusal is BAD_USER_INPUT naming `url`, and nothing is written.
 */
import { randomBytes } from 'node:crypto';
import type { MutationResolvers, QueryResolvers, WebhookDeliveryResolvers, WebhookResolvers } from '../../generated/graphql';
import { checkWebhookTarget, checkWebhookUrl } from '../../monitoring/webhook-target';
import { isAccountId } from '../../store/account.repository';
import { brokerExists } from '../../store/api-key.repository';
import {
  deleteWebhookEndpoint,
  insertWebhookEndpoint,
  pageWebhookDeliveries,
  updateWebhookEndpoint,
  webhookEndpointById,
  webhookEndpoints,
} from '../../store/webhook.repository';
import type { GraphQLContext } from '../context';
import { connectionOf, keyDecoder, pageRequest } from '../connection';
import { badInput, DomainError } from '../errors';
import { InputChecks } from '../input';
import { requireRole } from '../principal';
import { refuse, runWrite } from '../write';

/** Bytes of a generated signing secret (sent as hex: twice as many characters). */
const GENERATED_SECRET_BYTES = 32;
/** A given secret: printable ASCII without spaces, 32 to 256 characters. */
const SECRET_PATTERN = /^[\x21-\x7e]{32,256}$/;
const MAX_DESCRIPTION_LENGTH = 256;
const SEQUENCE_ID = /^[1-9]\d{0,18}$/;

function checkUrl(checks: InputChecks, url: string, ctx: GraphQLContext): void {
  const form = checkWebhookUrl(url, ctx.webhookPolicy);
  if (!form.ok) checks.fail('url', form.reason);
}

export const webhookMutations: Pick<MutationResolvers, 'registerWebhook' | 'updateWebhook' | 'deleteWebhook'> = {
  registerWebhook: async (_parent, { input }, ctx) => {
    // The secret never enters the idempotency record (which stores the response): it is added after the write.
    let secret: string | null = null;
    const result = await runWrite(ctx, {
      operation: 'registerWebhook',
      input,
      roles: ['ADMIN'],
      validate: () => {
        const checks = new InputChecks();
        checks.uuid('brokerId', input.brokerId);
        checkUrl(checks, input.url, ctx);
        if (input.secret !== null && input.secret !== undefined && !SECRET_PATTERN.test(input.secret)) {
          checks.fail('secret', 'secret must be 32 to 256 printable ASCII characters without spaces');
        }
        checks.text('description', input.description, { max: MAX_DESCRIPTION_LENGTH });
        if (input.eventKinds && input.eventKinds.length === 0) checks.fail('eventKinds', 'eventKinds must name at least one kind (or be omitted for all)');
        return checks.errors;
      },
      execute: async (scope) => {
        if (!(await brokerExists(scope.tx, input.brokerId))) return refuse('NOT_FOUND', 'brokerId', `broker ${input.brokerId} not found`);
        const target = await checkWebhookTarget(input.url, ctx.webhookPolicy);
        if (!target.ok) return refuse('BAD_USER_INPUT', 'url', target.reason);
        const signingSecret = input.secret ?? randomBytes(GENERATED_SECRET_BYTES).toString('hex');
        const webhook = await insertWebhookEndpoint(scope.tx, {
          brokerId: input.brokerId,
          url: input.url,
          secret: signingSecret,
          description: input.description,
          eventKinds: input.eventKinds ? [...new Set(input.eventKinds)] : null,
        });
        secret = signingSecret;
        await scope.audit({ brokerId: webhook.brokerId, before: null, after: { webhook } });
        return { webhook };
      },
    });
    return { ...result, secret };
  },

  updateWebhook: async (_parent, { input }, ctx) =>
    runWrite(ctx, {
      operation: 'updateWebhook',
      input,
      roles: ['ADMIN'],
      validate: () => {
        const checks = new InputChecks();
        checks.uuid('id', input.id);
        if (input.url !== null && input.url !== undefined) checkUrl(checks, input.url, ctx);
        if (input.description !== null && input.description !== undefined) checks.text('description', input.description, { max: MAX_DESCRIPTION_LENGTH });
        return checks.errors;
      },
      execute: async (scope) => {
        const before = await webhookEndpointById(scope.tx, input.id, { forUpdate: true });
        if (!before) return refuse('NOT_FOUND', 'id', `webhook ${input.id} not found`);
        if (input.url !== null && input.url !== undefined) {
          const target = await checkWebhookTarget(input.url, ctx.webhookPolicy);
          if (!target.ok) return refuse('BAD_USER_INPUT', 'url', target.reason);
        }
        const webhook = (await updateWebhookEndpoint(scope.tx, input.id, {
          url: input.url ?? undefined,
          description: input.description ?? undefined,
          status: input.status ?? undefined,
        }))!;
        await scope.audit({ brokerId: webhook.brokerId, before: { webhook: before }, after: { webhook } });
        return { webhook };
      },
    }),

  deleteWebhook: async (_parent, { input }, ctx) =>
    runWrite(ctx, {
      operation: 'deleteWebhook',
      input,
      roles: ['ADMIN'],
      validate: () => {
        const checks = new InputChecks();
        checks.uuid('id', input.id);
        return checks.errors;
      },
      execute: async (scope) => {
        const before = await webhookEndpointById(scope.tx, input.id, { forUpdate: true });
        if (!before) return refuse('NOT_FOUND', 'id', `webhook ${input.id} not found`);
        await deleteWebhookEndpoint(scope.tx, input.id);
        await scope.audit({ brokerId: before.brokerId, before: { webhook: before }, after: null });
        return { deletedId: before.id };
      },
    }),
};

export const webhookQueries: Pick<QueryResolvers, 'webhooks'> = {
  webhooks: async (_parent, { brokerId }, ctx) => {
    requireRole(ctx.principal, ['ADMIN', 'BROKER'], 'read webhooks');
    if (brokerId !== null && brokerId !== undefined && !isAccountId(brokerId)) throw badInput('brokerId is not a valid id', 'brokerId');
    if (ctx.principal.role === 'BROKER') {
      if (brokerId && brokerId !== ctx.principal.brokerId) throw new DomainError('FORBIDDEN', "a BROKER key may read its own broker's webhooks only");
      return webhookEndpoints(ctx.snapshot, ctx.principal.brokerId);
    }
    return webhookEndpoints(ctx.snapshot, brokerId ?? null);
  },
};

export const Webhook: Pick<WebhookResolvers, 'deliveries'> = {
  // The parent endpoint was already checked against the caller (`webhooks`).
  deliveries: async (webhook, { first, after, last, before, status }, ctx) => {
    const page = pageRequest({ first, after, last, before }, keyDecoder((key) => SEQUENCE_ID.test(key)));
    const args = { endpointId: webhook.id, status: status ?? null };
    const rows = await pageWebhookDeliveries(ctx.snapshot, { ...args, page: { ...page, limit: page.limit + 1 } });
    return connectionOf(page, rows, (d) => d.seq, async (cursor) => {
      const behind = await pageWebhookDeliveries(ctx.snapshot, { ...args, page: { ...page, cursor, limit: 1 }, side: 'OTHER_SIDE' });
      return behind.length > 0;
    });
  },
};

export const WebhookDelivery: Pick<WebhookDeliveryResolvers, 'event'> = {
  event: async (delivery, _args, ctx) => {
    const event = await ctx.loaders.riskEvent.load(delivery.eventId);
    if (!event) throw new DomainError('INTERNAL_SERVER_ERROR', `risk event ${delivery.eventId} of delivery ${delivery.id} is missing`);
    return event;
  },
};
