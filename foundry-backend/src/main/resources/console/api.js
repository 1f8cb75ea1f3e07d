// The REST API, same origin: the session cookie goes along by itself. Every error the API
// documents has the shape {"error":{"code","message"}}; it is thrown as an ApiError.
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function api(method, path, body, headers = {}) {
  let res;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 'network_error', 'the server cannot be reached: ' + e.message);
  }
  if (res.status === 204) return null;
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch (e) {
    json = null;
  }
  if (!res.ok) {
    const err = json && json.error ? json.error : { code: 'http_' + res.status, message: text };
    throw new ApiError(res.status, err.code, err.message);
  }
  return json;
}

export const get = (p) => api('GET', p);
export const post = (p, b) => api('POST', p, b === undefined ? {} : b);
export const put = (p, b) => api('PUT', p, b);
export const patch = (p, b) => api('PATCH', p, b);
export const del = (p) => api('DELETE', p);

/** A key for a creating POST, so a double click or a retry creates one thing. */
export function idempotencyKey() {
  return crypto.randomUUID();
}

export function create(path, body, key) {
  return api('POST', path, body, { 'Idempotency-Key': key || idempotencyKey() });
}
