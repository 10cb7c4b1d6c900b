// A real HTTP receiver on 127.0.0.1 for outbound webhooks: records every request, answers 204 unless told otherwise
// (queued statuses, failing event types), or holds its answers (the connection stays open) to stand for a slow
// or dead endpoint.
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: { type: string; timestamp: string; data: Record<string, any> };
  type: string;
  /** The webhook-id header. */
  id: string;
  /** When it arrived (ms). */
  at: number;
}

export async function startReceiver() {
  const received: ReceivedRequest[] = [];
  const statuses: number[] = [];
  const failing = new Set<string>();
  let holding = false;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const json = JSON.parse(body) as ReceivedRequest['json'];
      received.push({
        path: req.url ?? '',
        headers: req.headers,
        body,
        json,
        type: json.type,
        id: String(req.headers['webhook-id']),
        at: Date.now(),
      });
      if (holding) return;
      res.statusCode = statuses.shift() ?? (failing.has(json.type) ? 500 : 204);
      if (res.statusCode >= 300 && res.statusCode < 400) res.setHeader('Location', '/elsewhere');
      res.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    received,
    /** The next requests are answered with these statuses, in order. */
    answerNext: (...codes: number[]) => statuses.push(...codes),
    clearAnswers: () => (statuses.length = 0),
    /** Event types answered 500. */
    failing,
    /** While true, requests get no answer. */
    hold: (value: boolean) => (holding = value),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type TestReceiver = Awaited<ReturnType<typeof startReceiver>>;
