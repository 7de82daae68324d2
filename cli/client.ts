/**
 * The HTTP client: sends the API key, builds URLs on the configured root, and turns every way
 * a request can fail into a `CliError` with its exit code: a refused key (401/403), a service
 * that cannot be reached, or an error answer with the server's own message.
 */
import type { Connection } from './config.ts';
import { ApiError, CliError, EXIT } from './errors.ts';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
}

export interface Client {
  /** The service root, e.g. `http://localhost:3000`. */
  readonly url: string;
  /** Sends a request and answers the parsed JSON body (undefined for 204). */
  json<T>(method: string, path: string, options?: RequestOptions): Promise<T>;
  /**
   * GETs a result as bytes: the answer itself, or the presigned link a 303 points to (fetched
   * without the API key, which must not leave for another host).
   */
  download(path: string, query?: Query): Promise<Response>;
}

export interface ClientOptions {
  fetch?: typeof fetch;
  timeoutMs?: number;
  userAgent?: string;
}

export const QUIZ_API = '/api/v1/quiz-generator';
const DEFAULT_TIMEOUT_MS = 60_000;

export function createClient(connection: Connection, options: ClientOptions = {}): Client {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const headers = {
    'x-api-key': connection.key,
    accept: 'application/json',
    'user-agent': options.userAgent ?? 'quizgen-cli',
  };

  const send = async (method: string, path: string, requestOptions: RequestOptions = {}, accept?: string) => {
    const target = urlOf(connection.url, path, requestOptions.query);
    const base = accept ? { ...headers, accept } : headers;
    const init: RequestInit = {
      method,
      headers: requestOptions.body === undefined ? base : { ...base, 'content-type': 'application/json' },
      redirect: 'manual',
    };
    if (requestOptions.body !== undefined) init.body = JSON.stringify(requestOptions.body);
    try {
      return await fetchHeaders(doFetch, target, init, timeoutMs);
    } catch (error) {
      throw unreachable(connection, error, timeoutMs);
    }
  };

  return {
    url: connection.url,
    async json<T>(method: string, path: string, requestOptions: RequestOptions = {}): Promise<T> {
      const response = await send(method, path, requestOptions);
      const text = await readText(response, connection, timeoutMs);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        // Typically http:// answered with a redirect to https://: the configured URL is not the API's.
        throw new CliError(
          `${connection.url} redirects ${method} ${path} to ${location}; use the API's own URL: ${connection.urlHint}`,
          EXIT.unreachable,
        );
      }
      if (!response.ok) throw errorOf(connection, response.status, text);
      if (response.status === 204 || text.trim() === '') return undefined as T;
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new CliError(
          `${connection.url} answered ${method} ${path} with something that is not JSON; is it the quiz generator's API root? ${connection.urlHint}`,
          EXIT.unreachable,
        );
      }
    },
    async download(path: string, query?: Query): Promise<Response> {
      // API Gateway sends a base64 answer (a zip export) as bytes only when the first type the
      // client accepts is a binary media type of the API; text answers pass through either way.
      const response = await send('GET', path, { ...(query ? { query } : {}) }, 'application/zip, */*;q=0.8');
      if (response.status >= 300 && response.status < 400) {
        const location = response.headers.get('location') ?? linkIn(await response.text());
        if (!location)
          throw new ApiError(`${path} redirected without a location`, response.status, undefined);
        return followLink(new URL(location, urlOf(connection.url, path)).toString(), doFetch, timeoutMs);
      }
      if (!response.ok)
        throw errorOf(connection, response.status, await readText(response, connection, timeoutMs));
      return response;
    },
  };
}

export function urlOf(root: string, path: string, query?: Query): string {
  const url = new URL(`${root}${path.startsWith('/') ? path : `/${path}`}`);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  return url.toString();
}

/**
 * fetch, given up when no answer has begun within `timeoutMs`. Once headers arrive there is no
 * limit, so a large download is not cut off halfway.
 */
async function fetchHeaders(
  doFetch: typeof fetch,
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException('No answer in time', 'TimeoutError')),
    timeoutMs,
  );
  try {
    return await doFetch(url, { ...init, signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
}

async function readText(response: Response, connection: Connection, timeoutMs: number): Promise<string> {
  try {
    return await response.text();
  } catch (error) {
    throw unreachable(connection, error, timeoutMs);
  }
}

/** A 303's body carries the link too (`download_url`), for a gateway that drops Location. */
function linkIn(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { download_url?: unknown };
    return typeof body.download_url === 'string' ? body.download_url : undefined;
  } catch {
    return undefined;
  }
}

async function followLink(link: string, doFetch: typeof fetch, timeoutMs: number): Promise<Response> {
  let response: Response;
  try {
    response = await fetchHeaders(doFetch, link, { redirect: 'follow' }, timeoutMs);
  } catch (error) {
    throw new CliError(
      `Cannot fetch the download link ${new URL(link).origin}: ${networkReason(error, timeoutMs)}`,
      EXIT.unreachable,
    );
  }
  if (!response.ok) {
    const expired = response.status === 403 ? ' (the link may have expired; download again)' : '';
    throw new ApiError(
      `The download link answered ${response.status}${expired}`,
      response.status,
      await response.text().catch(() => ''),
    );
  }
  return response;
}

/** The server's message: `detail` (the seed envelope), else `message` or `error` (the content API's). */
export function serverMessage(status: number, text: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    const snippet = text.trim().replace(/\s+/g, ' ').slice(0, 200);
    return snippet ? `HTTP ${status}: ${snippet}` : `HTTP ${status}`;
  }
  if (body && typeof body === 'object') {
    const { detail, message, error } = body as Record<string, unknown>;
    if (typeof detail === 'string' && detail) return detail;
    if (Array.isArray(detail)) {
      // FastAPI's validation form: [{"loc": [...], "msg": "..."}].
      const parts = detail.map((d) =>
        d && typeof d === 'object' && 'msg' in d ? String(d.msg) : JSON.stringify(d),
      );
      if (parts.length) return parts.join('; ');
    }
    if (typeof message === 'string' && message) return message;
    if (typeof error === 'string' && error) return error;
    if (error && typeof error === 'object' && 'message' in error) return String(error.message);
  }
  return `HTTP ${status}`;
}

/** An error answer as the user should see it. */
export function errorOf(connection: Connection, status: number, text: string): ApiError {
  const message = serverMessage(status, text);
  if (status === 401 || status === 403) {
    return new ApiError(
      `The API key was refused by ${connection.url} (${status} ${message}); ${connection.keyHint}`,
      status,
      text,
      EXIT.keyRefused,
    );
  }
  if (status === 404 && message === 'Not Found') {
    return new ApiError(
      `${connection.url} has no such endpoint (404); is it the quiz generator's API root? ${connection.urlHint}`,
      status,
      text,
    );
  }
  if (status >= 500) return new ApiError(`The service failed (${status}): ${message}`, status, text);
  return new ApiError(message, status, text);
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
};

/** Why fetch failed, from the error undici wraps in `cause` (or several, for IPv4 and IPv6). */
export function networkReason(error: unknown, timeoutMs: number): string {
  const err = error as { name?: string; message?: string; cause?: unknown };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') {
    return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  }
  const cause = err?.cause as { code?: string; message?: string; errors?: { code?: string }[] } | undefined;
  const code = cause?.code ?? cause?.errors?.find((e) => e.code)?.code;
  if (code && NETWORK_REASONS[code]) return `${NETWORK_REASONS[code]} (${code})`;
  if (code) return `${cause?.message || code} (${code})`;
  return cause?.message || err?.message || String(error);
}

function unreachable(connection: Connection, error: unknown, timeoutMs: number): CliError {
  return new CliError(
    `Cannot reach ${connection.url}: ${networkReason(error, timeoutMs)}; ${connection.urlHint}`,
    EXIT.unreachable,
  );
}
