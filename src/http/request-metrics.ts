import type { RequestHandler } from 'express';
import type { Metrics } from '../ops/metrics.js';

/** Times every request under its route pattern (not its raw path, which would explode label cardinality). */
export function requestMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const end = metrics.httpDuration.startTimer();
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}
