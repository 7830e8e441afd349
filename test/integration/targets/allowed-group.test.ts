import { generateSeed } from '../../../shared/domain/seed';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { importTokens, JOINER_HOST_JSON, joinerReaches, sendHire } from '../../support/hr';
import { addMember, createGroup, CSV_HEADER, entraSerialsOf } from './helpers';

/** With ALLOWED_GROUP_ID set, only the group's transitive members receive tokens; nobody overrides it. */

const ALLOWED_GROUP = '7c2d3e4f-5061-4b7c-9d8e-0f1a2b3c4d5e';
const INSIDER = { displayName: 'In Side', userPrincipalName: 'insider@contoso.com', employeeId: 'A5001' };
const OUTSIDER = { displayName: 'Out Side', userPrincipalName: 'outsider@contoso.com', employeeId: 'A5002' };

describe('ALLOWED_GROUP_ID', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON, settings: { ALLOWED_GROUP_ID: ALLOWED_GROUP } });
    const users = await app.graph.seedUsers([INSIDER, OUTSIDER]);
    await app.graph.seedGroups([{ id: ALLOWED_GROUP, displayName: 'Token holders', mailEnabled: false, mailNickname: 'tokenholders', securityEnabled: true }]);
    // Membership through a nested group counts.
    const site = await createGroup(app, 'Geneva staff');
    await addMember(app, ALLOWED_GROUP, site);
    await addMember(app, site, users.find((u) => u.userPrincipalName === INSIDER.userPrincipalName)!.id);
    await importTokens(app, [{ serial: 'AG-001' }, { serial: 'AG-002' }]);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('provisions a member, refuses anyone else on hire and on import, even for a Tokens.PrivilegedAdmin', async () => {
    await sendHire(app, INSIDER);
    await sendHire(app, OUTSIDER);
    expect(await joinerReaches(app, INSIDER.employeeId, ['completed', 'failed'])).toMatchObject({ status: 'completed' });
    expect(await joinerReaches(app, OUTSIDER.employeeId, ['completed', 'failed'])).toMatchObject({ status: 'failed', refusal: 'not_in_allowed_group' });
    expect(await entraSerialsOf(app, OUTSIDER.userPrincipalName)).toEqual([]);

    const csv = `${CSV_HEADER}\n${OUTSIDER.userPrincipalName},AG-IMP,${generateSeed('hmacsha1')},30,Token2,C202\n`;
    const summary = await jsonOf(await app.call('POST', 'tokens/import', { body: csv, contentType: 'text/csv', roles: ['Tokens.PrivilegedAdmin'] }));
    expect(summary).toMatchObject({ imported: 0, errors: [expect.objectContaining({ serial: 'AG-IMP', code: 'not_in_allowed_group' })] });
    expect(await entraSerialsOf(app, OUTSIDER.userPrincipalName)).toEqual([]);
  });
});
