import type { ApiErrorBody } from './api.model';

/** A refused or failed API call: the platform's `{ error: { code, message } }`, or the transport's. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function isErrorBody(value: unknown): value is ApiErrorBody {
  if (typeof value !== 'object' || value === null) return false;
  const error = (value as { error?: unknown }).error;
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string';
}

/**
 * The HTTP API with the session's bearer token. A 401 calls `onUnauthorized` (the session ended:
 * back to the login page). Bodies are JSON both ways.
 */
export class ApiClient {
  constructor(
    private readonly token: () => string | null,
    private readonly onUnauthorized: () => void,
  ) {}

  get<T>(path: string, query?: Record<string, string | number | boolean | undefined>): Promise<T> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {}))
      if (value !== undefined && value !== '') params.set(key, String(value));
    const search = params.size > 0 ? `?${params.toString()}` : '';
    return this.request<T>('GET', `${path}${search}`);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = this.token();
    if (token !== null) headers['authorization'] = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (error) {
      throw new ApiError(0, 'network', error instanceof Error ? error.message : String(error));
    }
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      parsed = null;
    }
    if (!response.ok) {
      if (response.status === 401 && token !== null) this.onUnauthorized();
      if (isErrorBody(parsed)) throw new ApiError(response.status, parsed.error.code, parsed.error.message);
      throw new ApiError(response.status, `http-${response.status}`, text.slice(0, 200) || response.statusText);
    }
    return parsed as T;
  }
}

/** `POST /api/auth/login` → the bearer token. */
export async function login(username: string, password: string): Promise<string> {
  const client = new ApiClient(
    () => null,
    () => undefined,
  );
  const { accessToken } = await client.post<{ accessToken: string }>('/api/auth/login', { username, password });
  return accessToken;
}
