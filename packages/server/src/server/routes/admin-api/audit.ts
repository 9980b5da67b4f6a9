import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { parseSince } from '../../../core/audit.js';
import { toAuditPageResource } from '../../../core/admin/resources.js';
import { ValidationError } from '../../../core/errors.js';
import type { AdminRouteContext } from './shared.js';
import { AuditEventResource, AuditQuery, PageOf, responses } from './schemas.js';

/** /audit-events: the audit log, newest first; a tenant's admin sees its own tenant's events only. */
export async function auditRoutes(app: FastifyInstance, { adminOf }: AdminRouteContext): Promise<void> {
  app.get<{ Querystring: Static<typeof AuditQuery> }>(
    '/audit-events',
    {
      schema: {
        tags: ['audit'],
        summary: 'list audit events, newest first, filtered by tenant, action, actor and time',
        querystring: AuditQuery,
        response: responses({ 200: PageOf(AuditEventResource) }),
      },
    },
    async (request) => {
      const { since, ...filter } = request.query;
      let from: number | undefined;
      if (since !== undefined) {
        try {
          from = parseSince(since, Date.now());
        } catch (error) {
          if (error instanceof ValidationError) throw new ValidationError(error.message.replace('--since', 'since'), { field: 'since' });
          throw error;
        }
      }
      return toAuditPageResource(await adminOf(request).listAuditEvents({ ...filter, ...(from === undefined ? {} : { since: from }) }));
    },
  );
}
