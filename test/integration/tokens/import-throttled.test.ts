import { Secret } from 'otpauth';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';

const HEADER = 'upn,serial number,secret key,time interval,manufacturer,model';

describe('token import under Key Vault throttling', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ keyVaultCreateLimit: { requests: 10, windowMs: 1000 } });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('lands every row, backing off on 429', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => `,THR-${String(i).padStart(3, '0')},${new Secret({ size: 20 }).base32},30,Token2,C202`);
    const response = await app.call('POST', 'tokens/import', { body: `${HEADER}\n${rows.join('\n')}\n`, contentType: 'text/csv' });
    expect(await jsonOf(response)).toEqual({ imported: 40, unchanged: 0, errors: [] });
    const stats = await app.keyVault.stats();
    expect(stats.throttled).toBeGreaterThan(0);
  });
});
