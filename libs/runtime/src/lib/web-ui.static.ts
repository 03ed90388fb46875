import { statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { Logger } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';

/**
 * Paths that are never the web console's: the API (and its JSON 404s), socket.io, Prometheus,
 * health. A GET elsewhere that is not a file is a route of the single-page app.
 */
export const NOT_WEB_UI_PATHS: readonly string[] = ['/api', '/socket.io', '/metrics', '/healthz', '/readyz'];

/** Hashed build output (Vite's `assets/`): cached for a year, never revalidated. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html and the other top-level files: revalidated on every load, so a new build shows at once. */
const REVALIDATE = 'no-cache';

/** What `mountWebUi` did: served the directory, nothing configured, or configured without an index.html. */
export type WebUiMount = 'served' | 'disabled' | 'missing-index';

/** The part of Express's request and response the fallback uses. */
interface SpaRequest {
  readonly method: string;
  readonly path: string;
}
interface SpaResponse {
  readonly headersSent: boolean;
  setHeader(name: string, value: string): unknown;
  sendFile(path: string, callback: (error?: Error) => void): void;
}
type Next = (error?: unknown) => void;

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The console's index.html in `dir` (FIREIOT_WEB_DIR), or null when unset or absent. */
export function webUiIndex(dir: string | null): string | null {
  if (dir === null) return null;
  const index = join(resolve(dir), 'index.html');
  return isFile(index) ? index : null;
}

/** Whether `path` is one of `NOT_WEB_UI_PATHS` or below it (`/api`, `/api/units`; not `/apiary`). */
export function isReservedPath(path: string): boolean {
  return NOT_WEB_UI_PATHS.some((p) => path === p || path.startsWith(`${p}/`));
}

/**
 * Serves the built web console (CQC/SC 11002 4.2: the units' and the centre's view of the
 * platform) from `dir` (FIREIOT_WEB_DIR) at `/`: its files with `express.static` (`/assets/*`
 * cached as immutable, the rest revalidated), and `index.html` for any other GET or HEAD outside
 * the API, socket.io, metrics and health paths (the app's own routes, deep links). A missing
 * `/assets/*` file and every API path fall through to Nest, so they stay JSON 404s. Call before
 * `listen()`. A directory without index.html is logged once and nothing is served.
 */
export function mountWebUi(
  app: NestExpressApplication,
  dir: string | null,
  logger: Pick<Logger, 'log' | 'warn'> = new Logger('WebUi'),
): WebUiMount {
  if (dir === null) return 'disabled';
  const root = resolve(dir);
  const index = webUiIndex(root);
  if (index === null) {
    logger.warn({ msg: 'FIREIOT_WEB_DIR has no index.html: the web console is not served', dir: root });
    return 'missing-index';
  }
  const assets = join(root, 'assets') + sep;
  app.useStaticAssets(root, {
    index: false,
    redirect: false,
    fallthrough: true,
    dotfiles: 'ignore',
    setHeaders: (res: SpaResponse, path: string) => {
      res.setHeader('Cache-Control', path.startsWith(assets) ? IMMUTABLE : REVALIDATE);
    },
  });
  app.use((req: SpaRequest, res: SpaResponse, next: Next) => {
    const page = (req.method === 'GET' || req.method === 'HEAD') && !isReservedPath(req.path);
    if (!page || req.path.startsWith('/assets/')) {
      next();
      return;
    }
    res.setHeader('Cache-Control', REVALIDATE);
    res.sendFile(index, (error) => {
      // After the headers (a client gone mid-file) there is nothing left to answer.
      if (error !== undefined && error !== null && !res.headersSent) next(error);
    });
  });
  logger.log({ msg: 'web console served', dir: root });
  return 'served';
}
