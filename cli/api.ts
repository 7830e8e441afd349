import { DefaultAzureCredential } from '@azure/identity';

/** A small client of the admin API for oathctl: bearer token, problem+json errors as one line. */

export interface ApiOptions {
  baseUrl: string;
  /** A bearer token given directly (flag or OATHCTL_TOKEN). */
  token?: string;
  /** Else a scope to get one with @azure/identity (az login, managed identity, environment). */
  scope?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiClient {
  request(method: string, path: string, options?: { body?: string | Buffer; contentType?: string; accept?: string }): Promise<Response>;
  json<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** GET with the bearer token when one is configured (anonymous otherwise); any status is answered, not thrown. */
  probe(path: string): Promise<Response>;
}

async function failureOf(response: Response): Promise<ApiError> {
  const text = await response.text();
  try {
    const problem = JSON.parse(text) as { title?: string; detail?: string; errors?: { path: string; message: string }[] };
    const details = (problem.errors ?? []).map((e) => `${e.path ? `${e.path}: ` : ''}${e.message}`).join('; ');
    return new ApiError(response.status, `${response.status} ${problem.title ?? response.statusText}${problem.detail ? `: ${problem.detail}` : ''}${details ? ` (${details})` : ''}`, problem);
  } catch {
    return new ApiError(response.status, `${response.status} ${response.statusText}`);
  }
}

export function apiClient(options: ApiOptions): ApiClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  let credential: DefaultAzureCredential | undefined;
  const bearer = async (): Promise<string> => {
    if (options.token) return options.token;
    if (!options.scope) throw new ApiError(0, 'No token: pass --token (or OATHCTL_TOKEN), or --scope (or OATHCTL_SCOPE) to sign in with Azure');
    credential ??= new DefaultAzureCredential();
    const token = await credential.getToken(options.scope);
    return token.token;
  };

  const request: ApiClient['request'] = async (method, path, requestOptions = {}) => {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${await bearer()}`,
          accept: requestOptions.accept ?? 'application/json',
          ...(requestOptions.contentType ? { 'content-type': requestOptions.contentType } : {}),
        },
        ...(requestOptions.body !== undefined ? { body: requestOptions.body } : {}),
      });
    } catch (error) {
      if (error instanceof ApiError) throw error;
      throw new ApiError(0, `Cannot reach ${base}: ${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message}`);
    }
    if (!response.ok) throw await failureOf(response);
    return response;
  };

  return {
    request,
    async probe(path) {
      const headers: Record<string, string> = options.token || options.scope ? { authorization: `Bearer ${await bearer()}` } : {};
      try {
        return await fetch(`${base}${path}`, { headers });
      } catch (error) {
        throw new ApiError(0, `Cannot reach ${base}: ${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message}`);
      }
    },
    async json<T>(method: string, path: string, body?: unknown): Promise<T> {
      const response = await request(method, path, body === undefined ? {} : { body: JSON.stringify(body), contentType: 'application/json' });
      return (await response.json()) as T;
    },
  };
}
