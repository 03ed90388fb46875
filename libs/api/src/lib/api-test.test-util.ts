import { DynamicModule, INestApplication, Logger, Module, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { FIREIOT_CONFIG, FireiotConfig, loadConfig } from '@fireiot/config';
import { APP_POOL, createAppPool } from '@fireiot/storage';
import { startTestDatabase, TestDatabase } from '@fireiot/storage/testing';
import { Pool } from 'pg';
import { ApiModule } from './api.module';

Logger.overrideLogger(['error']);

/** What `ConfigModule.forRoot` (libs/runtime) and `StorageModule.forRoot` give the app, for specs. */
@Module({})
class TestPlatformModule {
  static forRoot(config: FireiotConfig, pool: Pool): DynamicModule {
    return {
      module: TestPlatformModule,
      global: true,
      providers: [
        { provide: FIREIOT_CONFIG, useValue: config },
        { provide: APP_POOL, useValue: pool },
      ],
      exports: [FIREIOT_CONFIG, APP_POOL],
    };
  }
}

export interface ApiAnswer<T> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

export interface CallOptions {
  readonly token?: string;
  readonly body?: unknown;
  /** Sent as is, with `Content-Type: application/json` (malformed JSON). */
  readonly rawBody?: string;
}

/** A real Nest app with `ApiModule`, listening on a free port, over a real PostgreSQL. */
export interface ApiTestApp {
  readonly app: INestApplication;
  readonly url: string;
  readonly config: FireiotConfig;
  call<T = Record<string, unknown>>(method: string, path: string, options?: CallOptions): Promise<ApiAnswer<T>>;
  /** Logs in and returns the access token (fails the spec if the login fails). */
  login(username: string, password: string): Promise<string>;
  close(): Promise<void>;
}

export const ADMIN = { username: 'admin', password: 'admin-password-1' } as const;

/** `imports`: more modules of the app (e.g. another feature's controllers using the guard). */
export async function startApiApp(
  db: TestDatabase,
  env: Record<string, string> = {},
  imports: Type[] = [],
): Promise<ApiTestApp> {
  const config = loadConfig({ FIREIOT_BOOTSTRAP_ADMIN: `${ADMIN.username}:${ADMIN.password}`, ...env });
  const pool = createAppPool(db.ownerUrl, 4);
  const moduleRef = await Test.createTestingModule({
    imports: [TestPlatformModule.forRoot(config, pool), ApiModule, ...imports],
  }).compile();
  const app = moduleRef.createNestApplication();
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  const call = async <T>(method: string, path: string, options: CallOptions = {}): Promise<ApiAnswer<T>> => {
    const headers: Record<string, string> = {};
    if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.rawBody !== undefined || options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = options.rawBody ?? JSON.stringify(options.body);
    }
    const response = await fetch(`${url}${path}`, { method, headers, body });
    const text = await response.text();
    return { status: response.status, body: (text === '' ? null : JSON.parse(text)) as T, headers: response.headers };
  };
  return {
    app,
    url,
    config,
    call,
    async login(username, password) {
      const answer = await call<{ accessToken?: string }>('POST', '/api/auth/login', { body: { username, password } });
      if (answer.status !== 200 || answer.body.accessToken === undefined) {
        throw new Error(`login of ${username} failed: ${answer.status} ${JSON.stringify(answer.body)}`);
      }
      return answer.body.accessToken;
    },
    async close() {
      await app.close();
      await pool.end();
    },
  };
}

/** A database for one spec file (migrations applied). */
export function testDatabase(): Promise<TestDatabase> {
  return startTestDatabase();
}

/** Reads `{ id }` of a 201 answer (fails the spec on anything else). */
export function createdId(answer: ApiAnswer<Record<string, unknown>>): string {
  const id = answer.body['id'];
  if (answer.status !== 201 || typeof id !== 'string') {
    throw new Error(`expected 201 { id }, got ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  return id;
}
