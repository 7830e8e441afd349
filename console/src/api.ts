import { describeProblem } from './lib/problem';

/** The admin API with the signed-in person's bearer token. Errors carry the problem's words. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface Api {
  get<T>(path: string): Promise<T>;
  /** undefined when the API answers 404 (nothing there, or an endpoint this deployment does not have). */
  find<T>(path: string): Promise<T | undefined>;
  post<T>(path: string, body?: unknown): Promise<T>;
  /** A raw body with its content type, reporting upload progress (0..1). */
  upload<T>(path: string, body: Blob, contentType: string, onProgress: (fraction: number) => void): Promise<T>;
  /** The answer as text (a CSV). */
  postText(path: string, body: unknown): Promise<string>;
}

const API_ROOT = '/api/';

async function parse(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function createApi(token: () => Promise<string>): Api {
  async function call(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${await token()}`);
    return fetch(`${API_ROOT}${path}`, { ...init, headers });
  }
  async function json<T>(response: Response): Promise<T> {
    const body = await parse(response);
    if (!response.ok) throw new ApiError(response.status, describeProblem(response.status, body));
    return body as T;
  }
  return {
    get: async (path) => json(await call(path)),
    async find(path) {
      const response = await call(path);
      if (response.status === 404) return undefined;
      return json(response);
    },
    post: async (path, body) =>
      json(await call(path, { method: 'POST', ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) })),
    async postText(path, body) {
      const response = await call(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
      if (!response.ok) throw new ApiError(response.status, describeProblem(response.status, await parse(response)));
      return response.text();
    },
    async upload(path, body, contentType, onProgress) {
      const bearer = await token();
      // XMLHttpRequest, because fetch reports no upload progress.
      return new Promise((resolve, reject) => {
        const xhr = new XMLHttpRequest();
        xhr.open('POST', `${API_ROOT}${path}`);
        xhr.setRequestHeader('authorization', `Bearer ${bearer}`);
        xhr.setRequestHeader('content-type', contentType);
        xhr.upload.onprogress = (event) => {
          if (event.lengthComputable) onProgress(event.loaded / event.total);
        };
        xhr.onerror = () => reject(new ApiError(0, 'The upload failed: the API could not be reached'));
        xhr.onload = () => {
          onProgress(1);
          let body: unknown;
          try {
            body = xhr.responseText === '' ? undefined : JSON.parse(xhr.responseText);
          } catch {
            body = undefined;
          }
          if (xhr.status >= 200 && xhr.status < 300) resolve(body as never);
          else reject(new ApiError(xhr.status, describeProblem(xhr.status, body)));
        };
        xhr.send(body);
      });
    },
  };
}
