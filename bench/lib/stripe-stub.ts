import { readFileSync } from 'node:fs';
import http from 'node:http';
import type Stripe from 'stripe';
import { type Child, spawnTs, waitForHttp } from './child-process.js';
import { isMainModule } from './report.js';

/*
 * A stand-in for api.stripe.com that answers POST /v1/checkout/sessions the way Stripe does: it checks the
 * bearer key, reads the form-encoded body and returns a full checkout.session object (Stripe's canonical
 * fixture with the request's values), id cs_test_<counter>, url https://checkout.stripe.com/c/pay/…
 * It only ever listens on 127.0.0.1. Run it as a child (startStripeStub) so its CPU is its own.
 */

const FIXTURE = JSON.parse(
  readFileSync(new URL('../../tests/fixtures/stripe/checkout-session.json', import.meta.url), 'utf8'),
) as Stripe.Checkout.Session;

/** The last session create the stub received, so the bench can replay the service's exact request body. */
export interface CapturedRequest {
  headers: Record<string, string>;
  body: string;
}

function sessionFromForm(counter: number, form: URLSearchParams): Stripe.Checkout.Session {
  const id = `cs_test_${counter}`;
  const metadata: Record<string, string> = {};
  for (const [key, value] of form) {
    const m = /^metadata\[(\w+)\]$/.exec(key);
    if (m) metadata[m[1]!] = value;
  }
  const now = Math.floor(Date.now() / 1000);
  const amount = Number(form.get('line_items[0][price_data][unit_amount]') ?? 0);
  const mode = (form.get('mode') ?? 'payment') as Stripe.Checkout.Session.Mode;
  return {
    ...FIXTURE,
    id,
    object: 'checkout.session',
    url: `https://checkout.stripe.com/c/pay/${id}#fidkdWxOYHwnPyd1blpxYHZxWjA0${counter.toString(16)}`,
    status: 'open',
    payment_status: 'unpaid',
    mode,
    amount_subtotal: amount,
    amount_total: amount,
    currency: form.get('line_items[0][price_data][currency]'),
    customer_email: form.get('customer_email'),
    customer_creation: (form.get('customer_creation') as Stripe.Checkout.Session.CustomerCreation | null) ?? null,
    submit_type: (form.get('submit_type') as Stripe.Checkout.Session.SubmitType | null) ?? null,
    locale: (form.get('locale') as Stripe.Checkout.Session.Locale | null) ?? null,
    success_url: form.get('success_url'),
    cancel_url: form.get('cancel_url'),
    metadata,
    created: now,
    expires_at: now + 86_400,
    livemode: false,
    customer: null,
    customer_details: null,
    payment_intent: null,
    subscription: null,
  };
}

function stripeError(res: http.ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { type, message } }));
}

/** The stub's HTTP server (not listening yet). */
export function createStripeStub(): http.Server {
  let counter = 0;
  let last: CapturedRequest | undefined;
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/__stub/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
      return;
    }
    if (req.method === 'GET' && req.url === '/__stub/last-request') {
      res.writeHead(last ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(last ?? null));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/checkout/sessions') {
        stripeError(res, 404, 'invalid_request_error', `Unrecognized request URL (${req.method}: ${req.url}).`);
        return;
      }
      if (!/^Bearer [rs]k_test_\w+$/.test(req.headers.authorization ?? '')) {
        stripeError(res, 401, 'invalid_request_error', 'Invalid API Key provided.');
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      last = { headers: req.headers as Record<string, string>, body };
      const session = sessionFromForm(++counter, new URLSearchParams(body));
      const json = JSON.stringify(session);
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(json),
        'request-id': `req_bench${counter}`,
        'stripe-version': String(req.headers['stripe-version'] ?? ''),
        ...(req.headers['idempotency-key'] ? { 'idempotency-key': String(req.headers['idempotency-key']) } : {}),
      });
      res.end(json);
    });
  });
  server.keepAliveTimeout = 65_000;
  return server;
}

export interface StubChild extends Child {
  port: number;
  /** The last session create request (headers and form body) the stub received. */
  lastRequest(): Promise<CapturedRequest>;
}

/** Runs the stub in its own process on a free 127.0.0.1 port. */
export async function startStripeStub(port: number): Promise<StubChild> {
  const child = spawnTs('bench/lib/stripe-stub.ts', { STRIPE_STUB_PORT: String(port) });
  await waitForHttp(child, port, '/__stub/health');
  const lastRequest = () =>
    new Promise<CapturedRequest>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/__stub/last-request', agent: false }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () =>
            res.statusCode === 200
              ? resolve(JSON.parse(text) as CapturedRequest)
              : reject(new Error('the stub has seen no session create yet')),
          );
        })
        .on('error', reject);
    });
  return Object.assign(child, { port, lastRequest });
}

if (isMainModule(import.meta.url)) {
  const port = Number(process.env.STRIPE_STUB_PORT ?? 0);
  const server = createStripeStub();
  server.listen(port, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : port })}\n`);
  });
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 2_000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
