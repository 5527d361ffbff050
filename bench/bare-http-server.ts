import { createServer } from 'node:http';
import { ceilingAnswer, parseCeilingAnswer } from './ceiling-answer.ts';

/**
 * The collector's ceiling: what node:http alone does per request on this machine. It reads the
 * body, JSON.parse's it and answers 202, nothing else (no validation, no broker): with the
 * collector's headers and a body of its length, or a minimal answer (ANSWER, ceiling-answer.ts).
 */
const answer = ceilingAnswer(parseCeilingAnswer(process.env.ANSWER));
const port = Number(process.env.PORT ?? 0);
const server = createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { username?: unknown };
      res.writeHead(202, answer.headers).end(answer.body(body.username));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad json"}');
    }
  });
});
server.keepAliveTimeout = 5_000;
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
