/**
 * The console's one way to the API: same origin, the key in `x-api-key` (the header every
 * route of the three APIs reads), and errors turned into one message from whichever envelope
 * answered: `{"detail": ...}` (quiz and assessment APIs, the review API) or the content API's
 * `{"success": false, "error": ...}`.
 */
const KEY_NAME = 'quizgen-console-key';

/** The API root: the page is served at `<root>/console` (`/prod/console` behind API Gateway). */
export const API_ROOT = location.pathname.replace(/\/console\/?$/, '');
export const QUIZ = `${API_ROOT}/api/v1/quiz-generator`;

export const key = {
  get: (): string | null => sessionStorage.getItem(KEY_NAME),
  set: (value: string) => sessionStorage.setItem(KEY_NAME, value),
  clear: () => sessionStorage.removeItem(KEY_NAME),
};

export class ApiError extends Error {
  readonly status: number;
  /** The body as answered: the review API's 400 carries the gate's reasons here. */
  readonly body: unknown;
  constructor(status: number, message: string, body: unknown) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/** One readable message from either envelope; `detail` may be a string, a list or an object. */
export function messageOf(body: unknown, status: number): string {
  const b = body as { detail?: unknown; error?: unknown; message?: unknown } | null;
  const detail = b?.detail ?? b?.error ?? b?.message;
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail))
    return detail.map((d) => (typeof d === 'string' ? d : JSON.stringify(d))).join('; ');
  if (detail && typeof detail === 'object') {
    const inner = (detail as { message?: unknown }).message;
    return typeof inner === 'string' ? inner : JSON.stringify(detail);
  }
  return `HTTP ${status}`;
}

export async function request(
  method: string,
  path: string,
  body?: unknown,
  accept?: string,
): Promise<Response> {
  const headers: Record<string, string> = { 'x-api-key': key.get() ?? '' };
  if (accept) headers.accept = accept;
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const response = await fetch(`${API_ROOT}${path}`, { method, headers, body: payload });
  if (!response.ok) {
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: the text is the message
    }
    throw new ApiError(response.status, messageOf(parsed, response.status), parsed);
  }
  return response;
}

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await request(method, path, body);
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}
