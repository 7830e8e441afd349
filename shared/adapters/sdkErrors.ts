/**
 * Azure SDK errors (RestError from whichever copy of core-rest-pipeline an SDK bundles) read by shape,
 * so adapters can tell an expected answer (404, 409, 412) from a failure worth retrying.
 */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The service's error codes in the error, outer and inner (Key Vault nests the precise one). */
export function errorCodesOf(error: unknown): string[] {
  const codes: string[] = [];
  const outer = (error as { code?: unknown } | null)?.code;
  if (typeof outer === 'string') codes.push(outer);
  let inner = (error as { details?: { error?: unknown } } | null)?.details?.error as { code?: unknown; innerError?: unknown; innererror?: unknown } | undefined;
  while (inner && typeof inner === 'object') {
    if (typeof inner.code === 'string') codes.push(inner.code);
    inner = (inner.innerError ?? inner.innererror) as typeof inner | undefined;
  }
  return codes;
}
