import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Controller, Get, Post, RequestMethod, Type, UseGuards } from '@nestjs/common';
import { CONTROLLER_WATERMARK, GUARDS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { GATEWAY_METADATA, MESSAGE_METADATA } from '@nestjs/websockets/constants';
import { BearerAuthGuard, Roles } from '@fireiot/api';
import { AlertsGateway } from '@fireiot/notifier';

/**
 * "A guard on every endpoint" (the issue; CQC/SC 11002 4.4.1 access control): every HTTP route
 * and every socket.io message handler of every controller and gateway under libs/ and apps/
 * must be authenticated — `BearerAuthGuard` on its controller or itself, directly or through
 * `@Roles` — unless it is below, with the reason it may be public.
 */
const PUBLIC_ROUTES: Readonly<Record<string, string>> = {
  'POST /api/auth/login': 'logging in is how a caller gets a bearer token',
  'POST /api/providers/twilio/status':
    "Twilio's delivery reports: TwilioStatusService checks X-Twilio-Signature (HMAC-SHA1 with the account's auth token) and answers 403 without a valid one",
  'GET /healthz': 'liveness probe for orchestrators and load balancers; says only "ok"',
  'GET /readyz': 'readiness probe for orchestrators and load balancers; says only whether the process is ready',
  'GET /metrics':
    'Prometheus scrape (4.4.1 running state); aggregate figures, no records — keep it off the public network',
};

/**
 * socket.io gateways that authenticate every connection in their namespace middleware (a valid
 * bearer token in `auth.token`, the role checked) before any handler can run.
 */
const AUTHENTICATING_GATEWAYS: readonly Type[] = [AlertsGateway];

const ROOT = resolve(__dirname, '..', '..', '..');
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'coverage', 'tmp']);
const ENTRY = /\.(controller|gateway)\.ts$/;

/** Every `*.controller.ts` and `*.gateway.ts` of a Nest project under `dir` (front-end code is not Nest's). */
function endpointFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || SKIPPED_DIRS.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...endpointFiles(path));
    else if (ENTRY.test(entry.name) && /from '@nestjs\/(common|websockets)'/.test(readFileSync(path, 'utf8'))) {
      found.push(path);
    }
  }
  return found;
}

interface Endpoint {
  /** `GET /api/alerts/:id`, or `WS AlertsGateway.<message>` for a socket.io handler. */
  readonly key: string;
  readonly owner: string;
  readonly guarded: boolean;
}

function isClass(value: unknown): value is Type {
  return typeof value === 'function' && /^class\b/.test(Function.prototype.toString.call(value));
}

function paths(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return [typeof value === 'string' ? value : ''];
}

function routePath(...parts: string[]): string {
  const path = parts
    .flatMap((p) => p.split('/'))
    .filter((p) => p !== '')
    .join('/');
  return `/${path}`;
}

function hasBearerGuard(target: object): boolean {
  const guards: unknown = Reflect.getMetadata(GUARDS_METADATA, target);
  return Array.isArray(guards) && guards.some((g) => g === BearerAuthGuard || g instanceof BearerAuthGuard);
}

function handlers(cls: Type): [string, object][] {
  const proto = cls.prototype as Record<string, unknown>;
  return Object.getOwnPropertyNames(proto)
    .filter((name) => name !== 'constructor')
    .map((name) => [name, Object.getOwnPropertyDescriptor(proto, name)?.value] as const)
    .filter((entry): entry is [string, object] => typeof entry[1] === 'function');
}

/** The HTTP routes and socket.io message handlers a class declares, with whether each is authenticated. */
function endpointsOf(cls: Type): Endpoint[] {
  const endpoints: Endpoint[] = [];
  if (Reflect.getMetadata(CONTROLLER_WATERMARK, cls) === true) {
    const classGuarded = hasBearerGuard(cls);
    for (const [, handler] of handlers(cls)) {
      const method: unknown = Reflect.getMetadata(METHOD_METADATA, handler);
      if (typeof method !== 'number') continue;
      for (const base of paths(Reflect.getMetadata(PATH_METADATA, cls))) {
        for (const path of paths(Reflect.getMetadata(PATH_METADATA, handler))) {
          endpoints.push({
            key: `${RequestMethod[method]} ${routePath(base, path)}`,
            owner: cls.name,
            guarded: classGuarded || hasBearerGuard(handler),
          });
        }
      }
    }
  }
  if (Reflect.getMetadata(GATEWAY_METADATA, cls) === true) {
    const namespaceAuthenticated = AUTHENTICATING_GATEWAYS.includes(cls);
    for (const [name, handler] of handlers(cls)) {
      const message: unknown = Reflect.getMetadata(MESSAGE_METADATA, handler);
      if (message === undefined) continue;
      endpoints.push({
        key: `WS ${cls.name}.${typeof message === 'string' ? message : name}`,
        owner: cls.name,
        guarded: namespaceAuthenticated || hasBearerGuard(cls) || hasBearerGuard(handler),
      });
    }
  }
  return endpoints;
}

/** Classes marked @WebSocketGateway that are not known to authenticate their connections. */
function unknownGateways(classes: readonly Type[]): string[] {
  return classes
    .filter((c) => Reflect.getMetadata(GATEWAY_METADATA, c) === true && !AUTHENTICATING_GATEWAYS.includes(c))
    .map((c) => c.name);
}

/** Endpoints neither authenticated nor allowed public. */
function unguarded(endpoints: readonly Endpoint[], allowed: Readonly<Record<string, string>>): string[] {
  return endpoints.filter((e) => !e.guarded && !(e.key in allowed)).map((e) => `${e.key} (${e.owner})`);
}

// The proof that the checker sees what it must: a controller and a gateway left open on purpose.
@Controller('api/leaky')
class LeakyController {
  @Get(':id')
  read(): string {
    return 'anyone';
  }

  @Post()
  @UseGuards(BearerAuthGuard)
  write(): string {
    return 'authenticated';
  }
}

@Controller('api/roles-only')
class RolesOnlyController {
  @Get()
  @Roles('auditor')
  read(): string {
    return 'auditors';
  }
}

@WebSocketGateway({ namespace: '/leaky' })
class LeakyGateway {
  @SubscribeMessage('whisper')
  whisper(): string {
    return 'anyone';
  }
}

describe('route guards', () => {
  let classes: Type[];
  let files: string[];
  let endpoints: Endpoint[];

  beforeAll(async () => {
    files = [...endpointFiles(join(ROOT, 'libs')), ...endpointFiles(join(ROOT, 'apps'))];
    classes = [];
    for (const file of files) {
      const exports = (await import(file)) as Record<string, unknown>;
      classes.push(...Object.values(exports).filter(isClass));
    }
    endpoints = classes.flatMap(endpointsOf);
  });

  it('finds the controllers and gateways by walking libs/ and apps/', () => {
    const found = files.map((f) => relative(ROOT, f));
    expect(found).toEqual(
      expect.arrayContaining([
        'libs/api/src/lib/alerts/alerts.controller.ts',
        'libs/api/src/lib/duty/duty.controller.ts',
        'libs/notifier/src/lib/app/alerts.gateway.ts',
        'libs/runtime/src/lib/health.controller.ts',
      ]),
    );
    const keys = endpoints.map((e) => e.key);
    expect(keys).toEqual(
      expect.arrayContaining([
        'GET /api/alerts/:id',
        'POST /api/alerts/:id/steps',
        'GET /api/auth/me',
        'POST /api/duty/handover',
        'GET /api/devices/:id/readings',
      ]),
    );
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('authenticates every HTTP route and socket.io handler except the public ones', () => {
    expect(unguarded(endpoints, PUBLIC_ROUTES)).toEqual([]);
  });

  it('allows public only routes that exist and are really unauthenticated (no stale allowlist entry)', () => {
    const open = new Set(endpoints.filter((e) => !e.guarded).map((e) => e.key));
    const stale = Object.keys(PUBLIC_ROUTES).filter((key) => !open.has(key));
    expect(stale).toEqual([]);
    // Each public route says why it may be public.
    expect(Object.entries(PUBLIC_ROUTES).filter(([, reason]) => reason.trim().length < 10)).toEqual([]);
  });

  it('knows how every socket.io gateway authenticates its connections', () => {
    const gateways = classes.filter((c) => Reflect.getMetadata(GATEWAY_METADATA, c) === true);
    expect(gateways).toEqual(expect.arrayContaining([AlertsGateway]));
    expect(unknownGateways(classes)).toEqual([]);
  });

  it('flags a controller without the guard, sees @Roles as the guard, and flags an unknown gateway', () => {
    const probe = [LeakyController, RolesOnlyController, LeakyGateway].flatMap(endpointsOf);
    expect(probe).toEqual([
      { key: 'GET /api/leaky/:id', owner: 'LeakyController', guarded: false },
      { key: 'POST /api/leaky', owner: 'LeakyController', guarded: true },
      { key: 'GET /api/roles-only', owner: 'RolesOnlyController', guarded: true },
      { key: 'WS LeakyGateway.whisper', owner: 'LeakyGateway', guarded: false },
    ]);
    expect(unguarded(probe, PUBLIC_ROUTES)).toEqual([
      'GET /api/leaky/:id (LeakyController)',
      'WS LeakyGateway.whisper (LeakyGateway)',
    ]);
    expect(unguarded(probe, { ...PUBLIC_ROUTES, 'GET /api/leaky/:id': 'a test' })).toEqual([
      'WS LeakyGateway.whisper (LeakyGateway)',
    ]);
    expect(unknownGateways([LeakyGateway, AlertsGateway])).toEqual(['LeakyGateway']);
  });
});
