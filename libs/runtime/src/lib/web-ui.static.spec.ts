import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Get, Logger, Post } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { isReservedPath, mountWebUi, WebUiMount, webUiIndex } from './web-ui.static';

Logger.overrideLogger(['error']);

const INDEX = '<!doctype html><title>fireiot</title><div id="root"></div>';
const BUNDLE = 'console.log("fireiot console")';

@Controller()
class ProbeController {
  @Get('api/ping')
  ping(): { pong: true } {
    return { pong: true };
  }

  @Post('api/ping')
  post(): { posted: true } {
    return { posted: true };
  }

  @Get('healthz')
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }
}

interface Served {
  readonly url: string;
  readonly mount: WebUiMount;
  readonly warnings: unknown[];
  close(): Promise<void>;
}

/** A Nest app like the platform's (a controller, the web UI mounted before listen), on a free port. */
async function serve(dir: string | null): Promise<Served> {
  const moduleRef = await Test.createTestingModule({ controllers: [ProbeController] }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>();
  const warnings: unknown[] = [];
  const mount = mountWebUi(app, dir, { warn: (m: unknown) => void warnings.push(m), log: () => undefined });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, mount, warnings, close: () => app.close() };
}

describe(mountWebUi.name, () => {
  let base: string;
  let web: string;

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'fireiot-web-'));
    web = join(base, 'web');
    mkdirSync(join(web, 'assets'), { recursive: true });
    writeFileSync(join(web, 'index.html'), INDEX);
    writeFileSync(join(web, 'assets', 'index-3f2a9c.js'), BUNDLE);
    writeFileSync(join(web, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(web, '.env'), 'SECRET=1');
    writeFileSync(join(base, 'secret.txt'), 'not for the web');
  });
  afterAll(() => {
    rmSync(base, { recursive: true, force: true });
  });

  describe('with a built console in FIREIOT_WEB_DIR', () => {
    let server: Served;

    beforeAll(async () => {
      server = await serve(web);
    });
    afterAll(async () => {
      await server.close();
    });

    it('serves index.html at / with no-cache', async () => {
      expect(server.mount).toBe('served');
      const page = await fetch(`${server.url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.headers.get('cache-control')).toBe('no-cache');
      expect(await page.text()).toBe(INDEX);
    });

    it('serves /assets/* as immutable for a year, other files revalidated', async () => {
      const bundle = await fetch(`${server.url}/assets/index-3f2a9c.js`);
      expect(bundle.status).toBe(200);
      expect(bundle.headers.get('content-type')).toMatch(/javascript/);
      expect(bundle.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(await bundle.text()).toBe(BUNDLE);
      const icon = await fetch(`${server.url}/favicon.svg`);
      expect(icon.status).toBe(200);
      expect(icon.headers.get('cache-control')).toBe('no-cache');
      const direct = await fetch(`${server.url}/index.html`);
      expect(direct.headers.get('cache-control')).toBe('no-cache');
    });

    it('answers the single-page app’s own routes (deep links, HEAD too) with index.html', async () => {
      for (const path of ['/alerts', '/alerts/6f1c1b1e-7d4a-4b8e-9a57-0c2f6a0f4d11', '/duty?from=x', '/apiary']) {
        const page = await fetch(`${server.url}${path}`);
        expect({ path, status: page.status, body: await page.text() }).toEqual({ path, status: 200, body: INDEX });
        expect(page.headers.get('cache-control')).toBe('no-cache');
      }
      const head = await fetch(`${server.url}/units`, { method: 'HEAD' });
      expect(head.status).toBe(200);
    });

    it('leaves the API, socket.io, metrics and health to the platform: API 404s stay JSON', async () => {
      expect(await (await fetch(`${server.url}/api/ping`)).json()).toEqual({ pong: true });
      expect(await (await fetch(`${server.url}/api/ping`, { method: 'POST' })).json()).toEqual({ posted: true });
      expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' });
      for (const path of ['/api/nothing-here', '/api', '/metrics', '/readyz', '/socket.io/?EIO=4', '/assets/gone.js']) {
        const answer = await fetch(`${server.url}${path}`);
        expect({ path, status: answer.status, type: answer.headers.get('content-type') }).toEqual({
          path,
          status: 404,
          type: expect.stringMatching(/^application\/json/),
        });
      }
      const post = await fetch(`${server.url}/alerts`, { method: 'POST' });
      expect(post.status).toBe(404);
      expect(await post.text()).not.toBe(INDEX);
    });

    it('never serves files outside the directory, nor dotfiles', async () => {
      for (const path of ['/..%2fsecret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
        const answer = await fetch(`${server.url}${path}`);
        expect({ path, body: await answer.text() }).not.toEqual({ path, body: 'not for the web' });
      }
      expect(await (await fetch(`${server.url}/.env`)).text()).toBe(INDEX);
    });
  });

  it('serves nothing, and warns once, when the directory has no index.html', async () => {
    const empty = join(base, 'empty');
    mkdirSync(empty);
    const server = await serve(empty);
    try {
      expect(server.mount).toBe('missing-index');
      expect(server.warnings).toEqual([expect.objectContaining({ msg: expect.stringContaining('no index.html') })]);
      expect((await fetch(`${server.url}/`)).status).toBe(404);
      expect((await fetch(`${server.url}/api/ping`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('finds the index.html the start-up banner announces', () => {
    expect(webUiIndex(web)).toBe(join(web, 'index.html'));
    expect(webUiIndex(join(base, 'nowhere'))).toBeNull();
    expect(webUiIndex(null)).toBeNull();
  });

  it('serves nothing when FIREIOT_WEB_DIR is unset', async () => {
    const server = await serve(null);
    try {
      expect(server.mount).toBe('disabled');
      expect(server.warnings).toEqual([]);
      expect((await fetch(`${server.url}/`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe(isReservedPath.name, () => {
  it('reserves the API, socket.io, metrics and health paths and what is below them, by whole segments', () => {
    for (const path of ['/api', '/api/alerts', '/socket.io/', '/metrics', '/healthz', '/readyz']) {
      expect({ path, reserved: isReservedPath(path) }).toEqual({ path, reserved: true });
    }
    for (const path of ['/', '/alerts', '/apiary', '/metrics-dashboard', '/assets/app.js']) {
      expect({ path, reserved: isReservedPath(path) }).toEqual({ path, reserved: false });
    }
  });
});
