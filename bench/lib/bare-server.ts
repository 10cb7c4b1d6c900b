import http from 'node:http';

/*
 * The page-view floor: a bare node:http server answering every request with the bytes favour answered for the same
 * request (status, headers, body), captured by the bench and passed in BARE_RESPONSES as JSON keyed by "METHOD path".
 * It reads the request body, as favour must, and does nothing else.
 */
type Captured = { status: number; headers: Record<string, string>; body: string };
const responses = JSON.parse(process.env.BARE_RESPONSES ?? '{}') as Record<string, Captured>;

http
  .createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const answer = responses[`${req.method} ${req.url}`];
      if (!answer) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(answer.status, answer.headers).end(answer.body);
    });
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
