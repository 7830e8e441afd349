import type { HrQueueMessage } from '../../shared/domain/hrEvent';
import type { TokenRecord } from '../../shared/domain/token';
import type { AuditEntry, Directory, EntraDevice, EntraUser, Inventory, ProvisioningRecord, ProvisioningStore } from '../../shared/ports';
import { joinerContext, type JoinerContext } from '../../shared/workflows/joinerContext';
import {
  JOINER_SAGA,
  JOINER_STEPS,
  activateToken,
  allocateToken,
  auditHire,
  cancelIfTerminated,
  completeRecord,
  deferUntilDue,
  findUser,
  markToken,
  readRecords,
  recordToken,
  type JoinerDeps,
} from '../../shared/workflows/provisionJoiner';

/* Each step of the joiner on its own: given a context as the steps before it leave it, it looks at what is done and acts only on the rest. */

const NOW = new Date('2026-03-02T10:00:00Z');
const ADA: EntraUser = { id: 'u-ada', userPrincipalName: 'ada@contoso.com', employeeId: 'E1' };

function token(serial: string, fields: Partial<TokenRecord> = {}): TokenRecord {
  return {
    serialNumber: serial,
    manufacturer: 'Token2',
    model: 'C302',
    timeIntervalInSeconds: 30,
    hashFunction: 'hmacsha1',
    seedOrigin: 'vendor',
    pool: '',
    status: 'in_stock',
    seedSecretName: `seed-${serial}`,
    entraDeviceId: `dev-${serial}`,
    createdAt: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
    lastChangeReason: 'imported',
    ...fields,
  };
}

/** Rows with ETags (every write conditional), Entra devices and users, and what was audited and queued. */
function world(options: { tokens?: TokenRecord[]; records?: ProvisioningRecord[]; users?: EntraUser[]; privileged?: string[]; mode?: 'auto' | 'user' | 'handover' } = {}) {
  let version = 0;
  const rows = new Map<string, TokenRecord>();
  const putRow = (row: TokenRecord) => {
    const stored = { ...row, etag: `"${++version}"` };
    rows.set(row.serialNumber, stored);
    return { ...stored };
  };
  for (const t of options.tokens ?? []) putRow(t);
  const inventory: Inventory = {
    get: async (serial) => (rows.has(serial) ? { ...(rows.get(serial) as TokenRecord) } : undefined),
    add: async (row) => (rows.has(row.serialNumber) ? 'exists' : putRow(row)),
    replace: async (row) => (rows.get(row.serialNumber)?.etag === row.etag ? putRow(row) : 'conflict'),
    remove: async () => 'conflict',
    list: async (filter, page) => ({
      tokens: [...rows.values()]
        .filter((t) => (filter.status ? t.status === filter.status : true))
        .filter((t) => (filter.pool !== undefined ? t.pool === filter.pool : true))
        .filter((t) => (filter.user ? t.employeeId === filter.user : true))
        .slice(0, page.pageSize)
        .map((t) => ({ ...t })),
    }),
  };

  const records = new Map<string, ProvisioningRecord>();
  const putRecord = (record: ProvisioningRecord) => {
    const stored = structuredClone({ ...record, etag: `"p${++version}"` });
    records.set(record.kind, stored);
    return structuredClone(stored);
  };
  for (const r of options.records ?? []) putRecord(r);
  const provisioning: ProvisioningStore = {
    get: async (_employeeId, kind) => (records.has(kind) ? structuredClone(records.get(kind) as ProvisioningRecord) : undefined),
    list: async () => [...records.values()].map((r) => structuredClone(r)),
    leaversNaming: async (entraUserId) => [...records.values()].filter((r) => r.kind === 'leaver' && r.entraUserId === entraUserId).map((r) => structuredClone(r)),
    add: async (record) => (records.has(record.kind) ? 'exists' : putRecord(record)),
    replace: async (record) => (records.get(record.kind)?.etag === record.etag ? putRecord(record) : 'conflict'),
  };

  const devices = new Map<string, EntraDevice>();
  for (const t of options.tokens ?? []) {
    if (t.entraDeviceId) devices.set(t.entraDeviceId, { id: t.entraDeviceId, serialNumber: t.serialNumber, manufacturer: 'Token2', model: 'C302', status: 'available', timeIntervalInSeconds: 30, hashFunction: 'hmacsha1' });
  }
  const users = options.users ?? [ADA];
  const calls: string[] = [];
  const device = (id: string) => {
    const found = devices.get(id);
    if (!found) throw new Error(`no device ${id}`);
    return found;
  };
  const notHere = async (): Promise<never> => {
    throw new Error('not used by the joiner');
  };
  const directory: Directory = {
    findDeviceBySerial: async (serial) => {
      calls.push('findDeviceBySerial');
      const found = [...devices.values()].find((d) => d.serialNumber === serial);
      return found ? structuredClone(found) : undefined;
    },
    findUserByEmployeeId: async (employeeId) => {
      calls.push('findUserByEmployeeId');
      return users.find((u) => u.employeeId === employeeId);
    },
    findUserByUpn: async (upn) => {
      calls.push('findUserByUpn');
      return users.find((u) => u.userPrincipalName === upn);
    },
    assign: async (userId, deviceId) => {
      calls.push('assign');
      Object.assign(device(deviceId), { assignedTo: { id: userId }, status: 'assigned' });
    },
    unassign: async (_userId, deviceId) => {
      calls.push('unassign');
      const d = device(deviceId);
      delete d.assignedTo;
      d.status = 'available';
    },
    assignAndActivate: notHere,
    activate: notHere,
    deactivate: notHere,
    createDevices: notHere,
    deleteDevice: notHere,
    methodDevicesOf: notHere,
    findUserById: notHere,
  };

  const audit: AuditEntry[] = [];
  const checks: { userId: string; privilegedAllowed: boolean; fresh?: boolean }[] = [];
  const sent: { message: HrQueueMessage; delaySeconds?: number }[] = [];
  const deps: JoinerDeps = {
    provisioning,
    inventory,
    seeds: { put: async () => 'stored', get: async () => undefined, destroy: async () => undefined },
    directory,
    targets: {
      check: async (user, { privilegedAllowed, fresh }) => {
        checks.push({ userId: user.id, privilegedAllowed, ...(fresh !== undefined ? { fresh } : {}) });
        return (options.privileged ?? []).includes(user.id) && !privilegedAllowed
          ? { ok: false, refusal: 'privileged_account', detail: `${user.userPrincipalName} holds a directory role` }
          : { ok: true, privileged: (options.privileged ?? []).includes(user.id) };
      },
    },
    audit: { record: async (entry) => void audit.push(entry) },
    queue: { send: async (message, sendOptions) => void sent.push({ message, ...(sendOptions?.delaySeconds !== undefined ? { delaySeconds: sendOptions.delaySeconds } : {}) }) },
    clock: { now: () => NOW },
    settings: { activationMode: options.mode ?? 'user', provisionLeadDays: 7, userWaitHours: 72 },
    random: () => 0.5,
  };
  return { deps, rows, records, devices, calls, audit, sent, checks };
}

const hire = (fields: Partial<HrQueueMessage> = {}): HrQueueMessage => ({
  eventId: 'evt-1',
  type: 'employee.hired',
  employeeId: 'E1',
  userPrincipalName: 'ada@contoso.com',
  firstSeenAt: NOW.toISOString(),
  ...fields,
});

const joiner = (fields: Partial<ProvisioningRecord> = {}): ProvisioningRecord => ({
  employeeId: 'E1',
  kind: 'joiner',
  status: 'in_progress',
  attempts: 0,
  eventIds: ['evt-1'],
  createdAt: NOW.toISOString(),
  updatedAt: NOW.toISOString(),
  ...fields,
});

/** A context as the steps before leave it: the records read, and whatever else the test gives. */
async function contextAfterRead(w: ReturnType<typeof world>, message: HrQueueMessage, fields: Partial<JoinerContext> = {}): Promise<JoinerContext> {
  const ctx = joinerContext(message, w.deps);
  const records = await w.deps.provisioning.list(message.employeeId);
  ctx.record = records.find((r) => r.kind === 'joiner');
  ctx.leaver = records.find((r) => r.kind === 'leaver');
  return Object.assign(ctx, fields);
}

describe('the joiner saga table', () => {
  it('runs its steps in order, each test hook after the step that finishes it', () => {
    expect(JOINER_SAGA.map((step) => step.name)).toEqual([
      'read the records',
      'cancel for a past termination',
      'defer until due',
      'find the user',
      'allocate a token',
      'record the token',
      'activate in Entra',
      'mark the token',
      'audit the hire',
      'complete the record',
    ]);
    expect(JOINER_SAGA.flatMap((step) => (step.finishes ? [step.finishes] : []))).toEqual([...JOINER_STEPS]);
  });
});

describe('read the records', () => {
  it('goes on for a hire seen for the first time, with no record written yet', async () => {
    const w = world();
    const ctx = joinerContext(hire(), w.deps);
    expect(await readRecords(ctx)).toBe('next');
    expect(ctx.record).toBeUndefined();
    expect(w.records.size).toBe(0);
  });

  it('answers already done to a redelivery of a completed hire', async () => {
    const w = world({ records: [joiner({ status: 'completed', serialNumber: 'T1' })] });
    expect(await readRecords(joinerContext(hire(), w.deps))).toEqual({ outcome: { kind: 'already_done', status: 'completed' } });
  });

  it('starts a completed hire over for a new event when the person holds no token any more', async () => {
    const w = world({ records: [joiner({ status: 'completed', serialNumber: 'T1', reason: 'x' })] });
    const ctx = joinerContext(hire({ eventId: 'evt-2' }), w.deps);
    expect(await readRecords(ctx)).toBe('next');
    expect(w.records.get('joiner')).toMatchObject({ status: 'queued', eventIds: ['evt-1', 'evt-2'], note: expect.stringContaining('started over') });
    expect(w.records.get('joiner')?.serialNumber).toBeUndefined();
  });

  it('keeps a completed hire settled for a new event while the person still holds its token', async () => {
    const w = world({ tokens: [token('T1', { status: 'active', employeeId: 'E1' })], records: [joiner({ status: 'completed', serialNumber: 'T1' })] });
    expect(await readRecords(joinerContext(hire({ eventId: 'evt-2' }), w.deps))).toEqual({ outcome: { kind: 'already_done', status: 'completed' } });
  });

  it('keeps a failed hire failed for its own event', async () => {
    const w = world({ records: [joiner({ status: 'failed' })] });
    expect(await readRecords(joinerContext(hire(), w.deps))).toEqual({ outcome: { kind: 'already_done', status: 'failed' } });
    expect(await readRecords(joinerContext(hire({ eventId: 'evt-2' }), w.deps))).toBe('next');
  });
});

describe('cancel for a past termination', () => {
  const leaver = (terminationDate: string): ProvisioningRecord => ({ ...joiner({ kind: 'leaver', status: 'pending_revocation' }), terminationDate });

  it('releases a reserved token and cancels the hire when the termination is past', async () => {
    const w = world({ tokens: [token('T1', { status: 'reserved', employeeId: 'E1' })], records: [leaver('2026-03-01')] });
    const result = await cancelIfTerminated(await contextAfterRead(w, hire()));
    expect(result).toEqual({ outcome: { kind: 'cancelled', reason: expect.stringContaining('terminated on 2026-03-01') } });
    expect(w.rows.get('T1')).toMatchObject({ status: 'in_stock' });
    expect(w.rows.get('T1')?.employeeId).toBeUndefined();
    expect(w.records.get('joiner')).toMatchObject({ status: 'cancelled' });
    expect(w.audit).toEqual([expect.objectContaining({ action: 'token.provisioned', outcome: 'rejected' })]);
  });

  it('leaves a token already in Entra to the leaver, and a termination still ahead or a rehire alone', async () => {
    const active = world({ tokens: [token('T1', { status: 'active', employeeId: 'E1' })], records: [leaver('2026-03-01')] });
    expect(await cancelIfTerminated(await contextAfterRead(active, hire()))).toBe('next');
    expect(active.rows.get('T1')?.status).toBe('active');
    const ahead = world({ records: [leaver('2026-04-01')] });
    expect(await cancelIfTerminated(await contextAfterRead(ahead, hire()))).toBe('next');
    const rehire = world({ records: [leaver('2026-01-01')] });
    expect(await cancelIfTerminated(await contextAfterRead(rehire, hire({ hireDate: '2026-02-01' })))).toBe('next');
    expect([...ahead.records.values(), ...rehire.records.values()].some((r) => r.kind === 'joiner')).toBe(false);
  });
});

describe('defer until due', () => {
  it('puts a hire dated beyond the lead days back on the queue until it is due', async () => {
    const w = world();
    const result = await deferUntilDue(await contextAfterRead(w, hire({ hireDate: '2026-03-20' })));
    expect(result).toEqual({ outcome: { kind: 'deferred', dueAt: '2026-03-13T00:00:00.000Z', delaySeconds: expect.any(Number) } });
    expect(w.sent).toEqual([{ message: expect.objectContaining({ eventId: 'evt-1' }), delaySeconds: expect.any(Number) }]);
    expect(w.records.get('joiner')).toMatchObject({ status: 'deferred' });
  });

  it('goes on for a hire that is due, or that already holds a token on its record', async () => {
    const due = world();
    expect(await deferUntilDue(await contextAfterRead(due, hire({ hireDate: '2026-03-05' })))).toBe('next');
    const started = world({ records: [joiner({ serialNumber: 'T1' })] });
    expect(await deferUntilDue(await contextAfterRead(started, hire({ hireDate: '2026-03-20' })))).toBe('next');
    expect([...due.sent, ...started.sent]).toEqual([]);
  });
});

describe('find the user', () => {
  it('takes the user from a record that already holds a token, without asking Entra', async () => {
    const w = world({ records: [joiner({ serialNumber: 'T1', entraUserId: 'u-ada', userPrincipalName: 'ada@contoso.com' })] });
    const ctx = await contextAfterRead(w, hire());
    expect(await findUser(ctx)).toBe('next');
    expect(ctx.user).toEqual({ id: 'u-ada', userPrincipalName: 'ada@contoso.com' });
    expect(w.calls).toEqual([]);
  });

  it('finds the account in Entra by employeeId', async () => {
    const w = world();
    const ctx = await contextAfterRead(w, hire());
    expect(await findUser(ctx)).toBe('next');
    expect(ctx.user?.id).toBe('u-ada');
    expect(w.calls).toEqual(['findUserByEmployeeId']);
  });

  it('waits for an account not in Entra yet', async () => {
    const w = world({ users: [] });
    const result = await findUser(await contextAfterRead(w, hire()));
    expect(result).toEqual({ outcome: { kind: 'waiting_for_user', delaySeconds: expect.any(Number), deadline: '2026-03-05T10:00:00.000Z' } });
    expect(w.sent).toEqual([{ message: expect.objectContaining({ attempt: 1, waitingSince: NOW.toISOString() }), delaySeconds: expect.any(Number) }]);
    expect(w.records.get('joiner')).toMatchObject({ status: 'waiting_for_user' });
  });

  it('refuses a privileged account unless a privileged admin approved that account, and audits the approval', async () => {
    const refused = world({ privileged: ['u-ada'] });
    await expect(findUser(await contextAfterRead(refused, hire()))).rejects.toMatchObject({ name: 'PermanentFailure', refusal: { code: 'privileged_account' } });
    const approved = world({ privileged: ['u-ada'] });
    expect(await findUser(await contextAfterRead(approved, hire({ privilegedApproval: { entraUserId: 'u-ada', approvedBy: 'boss@contoso.com' } })))).toBe('next');
    expect(approved.audit).toEqual([expect.objectContaining({ actor: 'boss@contoso.com', action: 'token.target.privileged' })]);
  });

  it('takes an approval on the record only while its hire runs: a settled hire\'s approval is spent', async () => {
    const approved = { approvedFor: 'u-ada', approvedBy: 'boss@contoso.com' };
    const running = world({ privileged: ['u-ada'], records: [joiner({ status: 'queued', ...approved })] });
    expect(await findUser(await contextAfterRead(running, hire()))).toBe('next');
    const spent = world({ privileged: ['u-ada'], records: [joiner({ status: 'failed', ...approved })] });
    await expect(findUser(await contextAfterRead(spent, hire({ eventId: 'evt-2' })))).rejects.toMatchObject({ name: 'PermanentFailure', refusal: { code: 'privileged_account' } });
  });

  it('lets a first hire be judged by the shared privileged set, and asks afresh about a person the record knew from another event', async () => {
    const first = world();
    await findUser(await contextAfterRead(first, hire()));
    const known = world({ records: [joiner({ status: 'queued', eventIds: ['evt-0'] })] });
    await findUser(await contextAfterRead(known, hire()));
    expect([first.checks, known.checks]).toEqual([[{ userId: 'u-ada', privilegedAllowed: false, fresh: false }], [{ userId: 'u-ada', privilegedAllowed: false, fresh: true }]]);
  });
});

describe('allocate a token', () => {
  it('reserves a free registered token from the hire\'s pool before any other', async () => {
    const w = world({ tokens: [token('T1'), token('T2', { pool: 'GVA' }), token('T3', { pool: 'GVA', entraDeviceId: undefined })] });
    const ctx = await contextAfterRead(w, hire({ location: 'GVA' }), { user: ADA });
    expect(await allocateToken(ctx)).toBe('next');
    expect(ctx.token?.serialNumber).toBe('T2');
    expect(w.rows.get('T2')).toMatchObject({ status: 'reserved', employeeId: 'E1' });
    expect(w.rows.get('T1')?.status).toBe('in_stock');
  });

  it('keeps the token on the record when the hire still holds it (skipped: an earlier delivery reserved it)', async () => {
    const w = world({ tokens: [token('T1'), token('T2', { status: 'reserved', employeeId: 'E1' })], records: [joiner({ serialNumber: 'T2' })] });
    const ctx = await contextAfterRead(w, hire(), { user: ADA });
    expect(await allocateToken(ctx)).toBe('skipped');
    expect(ctx.token?.serialNumber).toBe('T2');
    expect(w.rows.get('T1')?.status).toBe('in_stock');
  });

  it('keeps the furthest along of the tokens held and releases the other reserved ones', async () => {
    const w = world({ tokens: [token('T1', { status: 'reserved', employeeId: 'E1' }), token('T2', { status: 'assigned', employeeId: 'E1' })] });
    const ctx = await contextAfterRead(w, hire(), { user: ADA });
    expect(await allocateToken(ctx)).toBe('skipped');
    expect(ctx.token?.serialNumber).toBe('T2');
    expect(w.rows.get('T1')?.status).toBe('in_stock');
  });

  it('fails the hire when no token is in stock', async () => {
    const w = world({ tokens: [token('T1', { status: 'quarantined' })] });
    await expect(allocateToken(await contextAfterRead(w, hire(), { user: ADA }))).rejects.toMatchObject({ name: 'PermanentFailure', reason: 'no token in stock (any pool)' });
  });
});

describe('record the token', () => {
  it('puts the token and the user on the record, once', async () => {
    const w = world({ tokens: [token('T1', { status: 'reserved', employeeId: 'E1' })], records: [joiner({ status: 'queued' })] });
    const ctx = await contextAfterRead(w, hire(), { user: ADA, token: w.rows.get('T1') });
    expect(await recordToken(ctx)).toBe('next');
    const written = w.records.get('joiner');
    expect(written).toMatchObject({ status: 'in_progress', step: 'token_recorded', serialNumber: 'T1', entraUserId: 'u-ada' });
    expect(await recordToken(ctx)).toBe('next');
    expect(w.records.get('joiner')?.etag).toBe(written?.etag);
  });

  it('keeps the person\'s name from Entra on the record, and a later delivery takes it from there without asking Entra', async () => {
    const w = world({ tokens: [token('T1', { status: 'reserved', employeeId: 'E1' })], records: [joiner({ status: 'queued', displayName: 'Ada (from HR)' })] });
    await recordToken(await contextAfterRead(w, hire(), { user: { ...ADA, displayName: 'Ada Lovelace' }, token: w.rows.get('T1') }));
    expect(w.records.get('joiner')?.displayName).toBe('Ada Lovelace');
    const again = await contextAfterRead(w, hire());
    expect(await findUser(again)).toBe('next');
    expect(again.user).toEqual({ id: 'u-ada', userPrincipalName: 'ada@contoso.com', displayName: 'Ada Lovelace' });
    expect(w.calls).toEqual([]);
  });

  it('gives way to the token a concurrent delivery put on the record first', async () => {
    const w = world({ tokens: [token('T1', { status: 'reserved', employeeId: 'E1' }), token('T2', { status: 'reserved', employeeId: 'E1' })], records: [joiner({ serialNumber: 'T2' })] });
    const ctx = await contextAfterRead(w, hire(), { user: ADA, token: w.rows.get('T1'), record: undefined });
    expect(await recordToken(ctx)).toBe('next');
    expect(ctx.token?.serialNumber).toBe('T2');
    expect(w.rows.get('T1')?.status).toBe('in_stock');
  });

  it('gives the token back and stops when the hire was cancelled meanwhile', async () => {
    const w = world({ tokens: [token('T1', { status: 'reserved', employeeId: 'E1' })], records: [joiner({ status: 'cancelled', reason: 'revoked by an admin' })] });
    const ctx = await contextAfterRead(w, hire({ eventId: 'evt-2' }), { user: ADA, token: w.rows.get('T1') });
    expect(await recordToken(ctx)).toEqual({ outcome: { kind: 'cancelled', reason: 'revoked by an admin' } });
    expect(w.rows.get('T1')?.status).toBe('in_stock');
    expect(w.records.get('joiner')?.eventIds).toEqual(['evt-1', 'evt-2']);
  });
});

describe('activate in Entra', () => {
  it('assigns the device to the user (ACTIVATION_MODE user), and does nothing for a token already done', async () => {
    const w = world({ tokens: [token('T1', { status: 'reserved', employeeId: 'E1' })] });
    const ctx = await contextAfterRead(w, hire(), { user: ADA, token: w.rows.get('T1') });
    expect(await activateToken(ctx)).toBe('next');
    expect(w.devices.get('dev-T1')).toMatchObject({ assignedTo: { id: 'u-ada' }, status: 'assigned' });
    const calls = w.calls.length;
    const done = await contextAfterRead(w, hire(), { user: ADA, token: token('T1', { status: 'assigned', employeeId: 'E1', entraUserId: 'u-ada' }) });
    expect(await activateToken(done)).toBe('next');
    expect(w.calls.length).toBe(calls);
  });

  it('quarantines an unusable token and asks for another, until too many were unusable', async () => {
    const w = world({ tokens: [token('T1', { status: 'reserved', employeeId: 'E1', entraDeviceId: undefined })] });
    const ctx = await contextAfterRead(w, hire(), { user: ADA, token: w.rows.get('T1') });
    expect(await activateToken(ctx)).toBe('another_token');
    expect(w.rows.get('T1')?.status).toBe('quarantined');
    expect(w.audit).toEqual([expect.objectContaining({ action: 'token.quarantined', serialNumber: 'T1' })]);
    ctx.unusable = 2;
    ctx.token = token('T2', { status: 'reserved', employeeId: 'E1', entraDeviceId: undefined });
    await expect(activateToken(ctx)).rejects.toMatchObject({ name: 'PermanentFailure', reason: expect.stringContaining('3 tokens in a row') });
  });
});

describe('mark the token', () => {
  it('writes the held status and the holder on the row, once', async () => {
    const w = world({ tokens: [token('T1', { status: 'reserved', employeeId: 'E1' })], mode: 'handover' });
    const ctx = await contextAfterRead(w, hire({ location: 'GVA' }), { user: ADA, token: w.rows.get('T1') });
    expect(await markToken(ctx)).toBe('next');
    const marked = w.rows.get('T1');
    expect(marked).toMatchObject({ status: 'awaiting_handover', entraUserId: 'u-ada', userPrincipalName: 'ada@contoso.com', handover: { site: 'GVA' } });
    expect(await markToken(Object.assign(ctx, { token: marked }))).toBe('next');
    expect(w.rows.get('T1')?.etag).toBe(marked?.etag);
  });

  it('keeps the holder\'s name as Entra shows it, else as HR sent it, for admins to read', async () => {
    const named = world({ tokens: [token('T1', { status: 'reserved', employeeId: 'E1' })] });
    await markToken(await contextAfterRead(named, hire({ displayName: 'Ada (from HR)' }), { user: { ...ADA, displayName: 'Ada Lovelace' }, token: named.rows.get('T1') }));
    expect(named.rows.get('T1')).toMatchObject({ displayName: 'Ada Lovelace', lastChangeReason: expect.stringContaining('Ada Lovelace (ada@contoso.com)') });
    const fromHr = world({ tokens: [token('T1', { status: 'reserved', employeeId: 'E1' })] });
    await markToken(await contextAfterRead(fromHr, hire({ displayName: 'Ada King' }), { user: ADA, token: fromHr.rows.get('T1') }));
    expect(fromHr.rows.get('T1')?.displayName).toBe('Ada King');
    const unnamed = world({ tokens: [token('T1', { status: 'reserved', employeeId: 'E1' })] });
    await markToken(await contextAfterRead(unnamed, hire(), { user: ADA, token: unnamed.rows.get('T1') }));
    expect(unnamed.rows.get('T1')).not.toHaveProperty('displayName');
  });

  it('keeps on the row who approved a token for a privileged account', async () => {
    const w = world({ tokens: [token('T1', { status: 'reserved', employeeId: 'E1' })] });
    const ctx = await contextAfterRead(w, hire({ privilegedApproval: { entraUserId: 'u-ada', approvedBy: 'boss@contoso.com' } }), { user: ADA, token: w.rows.get('T1') });
    expect(await markToken(ctx)).toBe('next');
    expect(w.rows.get('T1')).toMatchObject({ status: 'assigned', privilegedApprovedBy: 'boss@contoso.com' });
  });

  it('undoes its own assignment in Entra when the row was taken from the hire, and stops as cancelled', async () => {
    const w = world({ tokens: [token('T1', { status: 'revoked' })], records: [joiner({ status: 'cancelled', reason: 'revoked by an admin', serialNumber: 'T1' })] });
    w.devices.set('dev-T1', { ...(w.devices.get('dev-T1') as EntraDevice), assignedTo: { id: 'u-ada' }, status: 'assigned' });
    // The row as the step reads it: a revoke took it from the hire after Entra assigned it.
    const ctx = await contextAfterRead(w, hire(), { user: ADA, token: w.rows.get('T1') });
    expect(await markToken(ctx)).toEqual({ outcome: { kind: 'cancelled', reason: 'revoked by an admin' } });
    expect(w.devices.get('dev-T1')?.assignedTo).toBeUndefined();
  });
});

describe('audit the hire and complete the record', () => {
  it('records the hire in the audit trail, then completes the record', async () => {
    const w = world({ tokens: [token('T1', { status: 'assigned', employeeId: 'E1', entraUserId: 'u-ada' })], records: [joiner({ serialNumber: 'T1', reason: 'try 1 failed', approvedFor: 'u-ada' })] });
    const ctx = await contextAfterRead(w, hire(), { user: ADA, token: w.rows.get('T1') });
    expect(await auditHire(ctx)).toBe('next');
    expect(w.audit).toEqual([expect.objectContaining({ action: 'token.provisioned', outcome: 'succeeded', serialNumber: 'T1', detail: 'assigned (the user activates it) for ada@contoso.com' })]);
    expect(await completeRecord(ctx)).toBe('next');
    expect(w.records.get('joiner')).toMatchObject({ status: 'completed', step: 'completed', serialNumber: 'T1' });
    expect(w.records.get('joiner')?.reason).toBeUndefined();
    expect(w.records.get('joiner')?.approvedFor).toBeUndefined();
  });

  it('leaves a record a revoke cancelled meanwhile as it is', async () => {
    const w = world({ records: [joiner({ status: 'cancelled', reason: 'revoked by an admin' })] });
    const ctx = await contextAfterRead(w, hire(), { user: ADA, token: token('T1') });
    const before = w.records.get('joiner')?.etag;
    expect(await completeRecord(ctx)).toBe('next');
    expect(w.records.get('joiner')).toMatchObject({ status: 'cancelled', etag: before });
  });
});
