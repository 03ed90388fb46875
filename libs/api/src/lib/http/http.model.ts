import { Principal } from '@fireiot/identity';

/** What the API reads of an HTTP request (Express underneath; only these parts are relied on). */
export interface ApiRequest {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Set by `BearerAuthGuard` once the bearer token is verified. */
  principal?: Principal;
}

/** What the API writes of an HTTP response. */
export interface ApiResponse {
  status(code: number): ApiResponse;
  json(body: unknown): unknown;
  setHeader(name: string, value: string): unknown;
}

/** Every error answer of the API: `{ "error": { "code", "message" } }` (as `fireiot decode` prints errors). */
export interface ApiErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

export function apiErrorBody(code: string, message: string): ApiErrorBody {
  return { error: { code, message } };
}
