import { IncomingMessage, ServerResponse } from 'node:http';
import { Injectable, NestMiddleware } from '@nestjs/common';
import { AccessMonitor } from './access.monitor';

/** What the middleware reads of a request (Express underneath: `ip`, `originalUrl`, `route`). */
export interface AccessRequest extends IncomingMessage {
  readonly ip?: string;
  readonly originalUrl?: string;
  /** Set by the router once a route matched: its pattern (`/api/alerts/:id`). */
  readonly route?: { readonly path?: unknown };
}

/**
 * Every HTTP request of the platform (CQC/SC 11002 4.4.1): counted and timed by route pattern
 * when its response goes out; from a throttled IP, answered 429 at once (`Retry-After`, a JSON
 * body `{ statusCode, error, message }`) without reaching the application.
 */
@Injectable()
export class AccessMiddleware implements NestMiddleware<AccessRequest, ServerResponse> {
  constructor(private readonly monitor: AccessMonitor) {}

  use(req: AccessRequest, res: ServerResponse, next: (error?: unknown) => void): void {
    const started = process.hrtime.bigint();
    const ip = clientIp(req);
    // Nest mounts middleware as a route of its own: whatever `req.route` is now is not a match.
    const mount = req.route;
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const matched = req.route !== mount ? req.route : undefined;
      const route = typeof matched?.path === 'string' ? matched.path : null;
      this.monitor.answered(ip, req.method ?? 'OTHER', route, res.statusCode, seconds);
    });
    const throttle = this.monitor.admit(ip, pathOf(req.originalUrl ?? req.url ?? '/'));
    if (throttle === null) {
      next();
      return;
    }
    const body = JSON.stringify({ statusCode: 429, error: 'Too Many Requests', message: throttle.reason });
    res.statusCode = 429;
    res.setHeader('Retry-After', String(Math.max(1, Math.ceil(throttle.retryAfterMs / 1000))));
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
  }
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** The peer's address (`req.ip`: Express's, which honours a configured `trust proxy`), IPv4 unmapped. */
function clientIp(req: AccessRequest): string {
  const ip = req.ip ?? req.socket.remoteAddress ?? 'unknown';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}
