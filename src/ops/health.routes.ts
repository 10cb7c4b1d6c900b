import { createHash, timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import type { Logger } from 'pino';
import type { Db } from '../db/database.js';
import { HttpError } from '../http/http-error.js';
import type { Metrics } from './metrics.js';
import { checkReadiness } from './readiness.service.js';

export interface OpsDeps {
  db: Db;
  metrics: Metrics;
  logger: Logger;
  /** When set, /metrics requires `Authorization: Bearer <token>`. */
  metricsToken?: string | undefined;
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * /healthz: the process answers. /readyz: the database answers and is migrated — statuses only, since anyone
 * can ask; the reasons go to the log. /metrics: Prometheus, behind METRICS_TOKEN when it is set.
 */
export function opsRoutes(deps: OpsDeps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const readiness = await checkReadiness(deps.db, deps.logger);
    res.status(readiness.status === 'ready' ? 200 : 503).json(readiness);
  });
  router.get('/metrics', async (req, res) => {
    if (deps.metricsToken !== undefined) {
      const given = /^Bearer (.+)$/i.exec(req.get('authorization') ?? '')?.[1] ?? '';
      // Compared as digests: equal lengths, constant time.
      if (!timingSafeEqual(digest(given), digest(deps.metricsToken))) {
        throw new HttpError(401, 'unauthorized', 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>.', undefined, {
          'WWW-Authenticate': 'Bearer realm="metrics"',
        });
      }
    }
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  return router;
}
