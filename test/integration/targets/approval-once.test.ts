import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { importTokens, JOINER_HOST_JSON, joinerReaches, provisioningOf, sendHire } from '../../support/hr';
import { entraSerialsOf, makeGlobalAdmin } from './helpers';

/**
 * A Tokens.PrivilegedAdmin's approval lets one refused hire of a privileged account go ahead, through the
 * HTTP API, the queue, Azurite and the emulators; once that hire completes, fails or is cancelled, the
 * approval is spent, and a later hire of the same account is refused again.
 */

describe('an approval of a privileged hire is spent with that hire', () => {
  let app: TestApp;
  let gail = '';

  beforeAll(async () => {
    app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON });
    const [user] = await app.graph.seedUsers([{ displayName: 'Gail Global', userPrincipalName: 'gail@contoso.com', employeeId: 'E4101' }]);
    gail = user!.id;
    await makeGlobalAdmin(app, gail);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('an approved hire that failed (no stock) leaves no approval behind: the next hire event is refused again', async () => {
    await sendHire(app, { employeeId: 'E4101', userPrincipalName: 'gail@contoso.com' }, 'msg_gail_first');
    expect(await joinerReaches(app, 'E4101', ['completed', 'failed'])).toMatchObject({ status: 'failed', refusal: 'privileged_account' });
    const approved = await app.call('POST', 'provisioning/E4101/approve', { roles: ['Tokens.PrivilegedAdmin'] });
    expect(approved.status).toBe(202);
    expect(await jsonOf(approved)).toMatchObject({ approvedFor: gail });
    // The approved hire runs and fails: there is no token in stock.
    const failed = await joinerReaches(app, 'E4101', ['completed', 'failed']);
    expect(failed).toMatchObject({ status: 'failed', reason: expect.stringContaining('no token in stock') });
    expect((await provisioningOf(app, 'E4101'))?.joiner).toMatchObject({ approvedBy: null });

    // Stock arrives; HR sends another hire event for the same person. The spent approval does not carry over.
    await importTokens(app, [{ serial: 'AP-1' }]);
    expect((await sendHire(app, { employeeId: 'E4101', userPrincipalName: 'gail@contoso.com' }, 'msg_gail_second')).status).toBe(202);
    const second = await eventuallyRefusedAgain(app, 'E4101', 'msg_gail_second');
    expect(second).toMatchObject({ status: 'failed', refusal: 'privileged_account' });
    expect(await entraSerialsOf(app, 'gail@contoso.com')).toEqual([]);
  });
});

/** The joiner's verdict on a given event (the record already says failed from the earlier one). */
async function eventuallyRefusedAgain(app: TestApp, employeeId: string, eventId: string) {
  for (let tries = 0; tries < 600; tries++) {
    const joiner = (await provisioningOf(app, employeeId))?.joiner;
    if (joiner?.eventIds.includes(eventId) && (joiner.status === 'failed' || joiner.status === 'completed')) return joiner;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`gave up waiting for the hire ${eventId} of ${employeeId}`);
}
