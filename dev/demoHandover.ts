import path from 'node:path';
import { generateSeed, totpCode } from '../shared/domain/seed';
import { signWebhook } from '../shared/domain/webhookSignature';
import { graphEmulatorControl } from './graph/control';
import { startLocalHost } from './host/server';
import { REPO_ROOT } from './paths';
import { startStack } from './stack';

/**
 * The hand-over path of `npm run demo`, on a private stack of its own (free ports, ACTIVATION_MODE=handover),
 * so it runs whatever mode `npm start` uses: a hire is assigned but not activated, the site's pick list is
 * printed, and the token is handed over with the code a token whose clock runs 3 steps fast would show.
 * Run with NODE_EXTRA_CA_CERTS set to the dev CA (demo.ts does), since the host in this process calls the emulators.
 */

const FUNCTIONS_DIR = path.extname(__filename) === '.ts' ? path.join(REPO_ROOT, 'functions') : path.join(REPO_ROOT, 'dist', 'functions');
const DRIFT_STEPS = 3;

async function main(): Promise<void> {
  const stack = await startStack();
  const host = await startLocalHost({
    port: 0,
    functionsDir: FUNCTIONS_DIR,
    hostJsonPath: path.join(REPO_ROOT, 'host.json'),
    storageConnectionString: stack.azurite.connectionString,
    settings: { ...stack.appSettings, ACTIVATION_MODE: 'handover' },
    log: () => undefined,
  });
  try {
    const graph = graphEmulatorControl(stack.graph.url, { caCertPem: stack.ca.certPem });
    await graph.seedUsers([{ displayName: 'Hana Desk-Visit', userPrincipalName: 'hana@contoso.com', employeeId: 'E9001' }]);
    const token = await stack.identity.mintToken({ audience: stack.appSettings.ADMIN_AUTH_AUDIENCE ?? '', roles: ['Tokens.Admin', 'Tokens.Read'], name: 'npm run demo' });
    const api = async (method: string, route: string, body?: { type: string; text: string }) => {
      const response = await fetch(`${host.url}/api/${route}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': body.type } : {}) }, ...(body ? { body: body.text } : {}) });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    };

    // The seed is made here in memory, for the import and for the simulated token's display only.
    const seed = generateSeed('hmacsha1');
    await api('POST', 'tokens/import', { type: 'text/csv', text: `upn,serial number,secret key,time interval,manufacturer,model,pool\n,HO-DEMO-1,${seed},30,Token2,C302,GVA` });
    const hire = JSON.stringify({ type: 'employee.hired', data: { employeeId: 'E9001', userPrincipalName: 'hana@contoso.com', location: 'GVA' } });
    const eventId = 'msg_demo_handover';
    const timestamp = Math.floor(Date.now() / 1000);
    await fetch(`${host.url}/api/hr/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': eventId, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(stack.hrWebhookSecret, eventId, timestamp, hire) },
      body: hire,
    });
    let joiner: { status?: string } | undefined;
    for (let poll = 0; poll < 240 && joiner?.status !== 'completed' && joiner?.status !== 'failed'; poll++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      joiner = (await api('GET', 'provisioning/E9001')).json.joiner as { status?: string } | undefined;
    }
    console.log(`\nHand-over mode (a private stack, ACTIVATION_MODE=handover): the hire of hana@contoso.com is ${joiner?.status ?? 'not started'}; Entra has HO-DEMO-1 ${(await graph.state({ serial: 'HO-DEMO-1' })).matches?.devices[0]?.status ?? 'nowhere'}.`);
    const list = (await api('GET', 'handovers?location=GVA')).json.handovers as { site: string; serialNumber: string; userPrincipalName: string; since: string; shipping: string }[];
    console.log('\nPick list for GVA (GET /api/handovers?location=GVA):');
    for (const item of list) console.log(`  ${item.site}  ${item.serialNumber}  ${item.userPrincipalName}  since ${item.since}  ${item.shipping}`);

    const shown = totpCode(seed, 30, 'hmacsha1', new Date(Date.now() + DRIFT_STEPS * 30_000));
    const handed = await api('POST', 'tokens/HO-DEMO-1/handover', { type: 'application/json', text: JSON.stringify({ code: shown }) });
    console.log(`\nThe desk types the code the token shows (its clock runs ${DRIFT_STEPS} steps fast): HTTP ${handed.status}, ${JSON.stringify(handed.json)}`);
    console.log(`Entra now has HO-DEMO-1 ${(await graph.state({ serial: 'HO-DEMO-1' })).matches?.devices[0]?.status ?? 'nowhere'}; the inventory keeps driftSteps ${String((await api('GET', 'tokens/HO-DEMO-1')).json.driftSteps)}.`);
    if (handed.status !== 200) process.exitCode = 1;
  } finally {
    await host.close();
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`demo (hand-over): ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  process.exit(1);
});
