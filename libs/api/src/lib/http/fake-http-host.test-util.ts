import { ArgumentsHost } from '@nestjs/common';

/**
 * An HTTP `ArgumentsHost` for exception-filter specs: what a filter sends (status, JSON body,
 * headers) is recorded in `sent`.
 */
export function fakeHttpHost() {
  const sent: { status?: number; body?: unknown; headers: Record<string, string> } = { headers: {} };
  const response = {
    status(code: number) {
      sent.status = code;
      return response;
    },
    json(body: unknown) {
      sent.body = body;
      return response;
    },
    setHeader(name: string, value: string) {
      sent.headers[name] = value;
      return response;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost;
  return { host, sent };
}
