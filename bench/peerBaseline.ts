import { totpCode, type HashFunction } from '../shared/domain/seed';

/**
 * The closest peer's Graph requests, as a baseline for the side-by-side bench: one token at a time,
 * create the device with its seed, assign it to the user, activate it with the current code. Three
 * writes per token and no reads (the user is addressed by UPN, the method by the device id), a 429
 * waited out for its Retry-After and sent again, as a careful client does.
 */

export interface PeerToken {
  serialNumber: string;
  secretKey: string;
  userPrincipalName: string;
  timeIntervalInSeconds: 30 | 60;
  hashFunction: HashFunction;
}

export interface PeerFigures {
  tokens: number;
  activated: number;
  seconds: number;
  /** Graph requests sent, 429-answered ones included. */
  requests: number;
  throttled: number;
}

const MAX_SENDS = 50;

export async function runPeerBaseline(graphUrl: string, accessToken: string, tokens: readonly PeerToken[]): Promise<PeerFigures> {
  let requests = 0;
  let throttled = 0;
  const send = async (method: string, path: string, body: unknown): Promise<Record<string, unknown>> => {
    for (let attempt = 0; ; attempt++) {
      requests++;
      const response = await fetch(`${graphUrl}/beta${path}`, { method, headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const text = await response.text();
      if (response.status === 429 && attempt < MAX_SENDS) {
        throttled++;
        await new Promise((resolve) => setTimeout(resolve, Number(response.headers.get('retry-after') ?? '1') * 1000));
        continue;
      }
      if (!response.ok) throw new Error(`the peer's ${method} ${path} answered ${response.status}: ${text.slice(0, 200)}`);
      return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    }
  };

  const started = performance.now();
  let activated = 0;
  for (const token of tokens) {
    const device = await send('POST', '/directory/authenticationMethodDevices/hardwareOathDevices', {
      serialNumber: token.serialNumber,
      manufacturer: 'Token2',
      model: 'C202',
      secretKey: token.secretKey,
      timeIntervalInSeconds: token.timeIntervalInSeconds,
      hashFunction: token.hashFunction,
    });
    const deviceId = String(device.id);
    const methods = `/users/${encodeURIComponent(token.userPrincipalName)}/authentication/hardwareOathMethods`;
    await send('POST', methods, { device: { id: deviceId } });
    await send('POST', `${methods}/${encodeURIComponent(deviceId)}/activate`, { verificationCode: totpCode(token.secretKey, token.timeIntervalInSeconds, token.hashFunction, new Date()) });
    activated++;
  }
  return { tokens: tokens.length, activated, seconds: (performance.now() - started) / 1000, requests, throttled };
}
