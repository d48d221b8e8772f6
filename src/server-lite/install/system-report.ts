/**
 * `PUT systemReport` (`install-api.md`): every module of the system, the gateway included. Stored exactly
 * as received; a report whose content (modules, ignoring the timestamp) differs from the last one is a
 * "changed" report (it lifts the failed-recipe block of the opening rule). The match job runs for this
 * system before the answer (204).
 */
import { createHash } from 'node:crypto';
import type { SystemReport } from '../../recipe/types.js';
import { authenticateGateway } from '../auth/install-auth.js';
import { runMatchJob } from '../domain/match-job.js';
import { readRaw } from '../http/body.js';
import { badRequest } from '../http/errors.js';
import { sendEmpty } from '../http/respond.js';
import { put, type Route } from '../http/route.js';
import { checkShape, type JsonSchema } from '../http/shape.js';
import { storeReport } from '../store/targets.js';

const REPORT: JsonSchema = {
  type: 'object',
  properties: {
    timestamp: { type: 'string', maxLength: 64 },
    gatewayId: { type: 'string', minLength: 1, maxLength: 256 },
    modules: {
      type: 'array',
      maxItems: 10000,
      items: {
        type: 'object',
        properties: {
          id: { type: 'string', minLength: 1, maxLength: 256 },
          type: { type: 'string', minLength: 1, maxLength: 128 },
          name: { type: 'string', minLength: 1, maxLength: 128 },
          status: { const: 'unreachable' },
          attributes: {
            type: 'object',
            propertyNames: { maxLength: 128 },
            additionalProperties: { type: 'string', maxLength: 4000 },
          },
        },
        required: ['id', 'type', 'name', 'attributes'],
      },
    },
  },
  required: ['gatewayId', 'modules'],
};

export const systemReportRoutes: Route[] = [
  put('/:tenant/controller/v1/:controllerId/systemReport', async (ctx) => {
    const t = authenticateGateway(ctx, true);
    const raw = await readRaw(ctx.req, ctx.app.config.jsonBodyLimit);
    let value: unknown;
    try {
      value = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      throw badRequest('request.malformedJson', `malformed JSON body: ${(err as Error).message}`);
    }
    const report = checkShape<SystemReport>(REPORT, value);
    if (report.gatewayId !== t.controller_id)
      throw badRequest(
        'systemreport.gatewayId',
        `gatewayId ${report.gatewayId} is not the controllerId ${t.controller_id} of the path`,
      );
    const ids = new Set<string>();
    report.modules.forEach((m, i) => {
      if (ids.has(m.id))
        throw badRequest('systemreport.duplicateModule', `modules[${i}].id: ${m.id} is reported twice`);
      ids.add(m.id);
      if (m.type === 'gateway' && m.id !== t.controller_id)
        throw badRequest(
          'systemreport.gatewayModule',
          `modules[${i}].id: the gateway module's id must be ${t.controller_id}`,
        );
    });
    const hash = createHash('sha256').update(JSON.stringify(report.modules)).digest('hex');
    const { app } = ctx;
    const now = app.clock.now();
    app.db.transaction(() => {
      storeReport(app.db, t.id, raw.toString('utf8'), hash, now);
      runMatchJob(app, t.id, `controller:${t.controller_id}`);
    })();
    sendEmpty(ctx.res, 204);
  }),
];
