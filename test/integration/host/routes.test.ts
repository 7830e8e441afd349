import { comparePrecedence, compileRoute } from '../../../dev/host/routes';
import { hostOptionsFrom, logLevelEnabled, parseTimeSpan } from '../../../dev/host/hostJson';
import { parseSchedule, resolveSettingReferences } from '../../../dev/host/schedule';

/** The pure parts of the local host: route templates, host.json values, timer schedules. */

describe('route templates', () => {
  it('matches parameters, decodes them, and ignores case and a trailing slash', () => {
    const route = compileRoute('users/{user}/token/revoke');
    expect(route.match('/users/ada%40contoso.com/token/revoke')).toEqual({ user: 'ada@contoso.com' });
    expect(route.match('/USERS/E1001/Token/Revoke/')).toEqual({ user: 'E1001' });
    expect(route.match('/users/E1001/token')).toBeUndefined();
    expect(route.match('/users//token/revoke')).toBeUndefined();
  });

  it('supports optional parameters, defaults and catch-alls', () => {
    expect(compileRoute('tokens/{status?}').match('/tokens')).toEqual({});
    expect(compileRoute('tokens/{status?}').match('/tokens/active')).toEqual({ status: 'active' });
    expect(compileRoute('reports/{kind=latest}').match('/reports')).toEqual({ kind: 'latest' });
    expect(compileRoute('files/{*rest}').match('/files/a/b%20c')).toEqual({ rest: 'a/b c' });
    expect(compileRoute('files/{*rest}').match('/files')).toEqual({});
    expect(compileRoute('').match('/')).toEqual({});
  });

  it('honours inline constraints', () => {
    const route = compileRoute('items/{id:int}/{code:length(6)}');
    expect(route.match('/items/12/ABCDEF')).toEqual({ id: '12', code: 'ABCDEF' });
    expect(route.match('/items/twelve/ABCDEF')).toBeUndefined();
    expect(route.match('/items/12/ABC')).toBeUndefined();
    expect(compileRoute('x/{id:guid}').match('/x/0f8fad5b-d9cb-469f-a165-70867728950e')).toBeDefined();
    expect(compileRoute('x/{id:regex(^SN-\\d+$)}').match('/x/SN-42')).toEqual({ id: 'SN-42' });
    expect(compileRoute('x/{id:regex(^SN-\\d+$)}').match('/x/SN-x')).toBeUndefined();
  });

  it('matches segments that mix text and parameters', () => {
    expect(compileRoute('files/{name}.{ext}').match('/files/report.final.csv')).toEqual({ name: 'report.final', ext: 'csv' });
  });

  it('orders literal segments before parameters before catch-alls', () => {
    const routes = ['tokens/{*rest}', 'tokens/{serial}', 'tokens/import', 'tokens/{id:int}'].map(compileRoute);
    expect(routes.sort(comparePrecedence).map((r) => r.template)).toEqual(['tokens/import', 'tokens/{id:int}', 'tokens/{serial}', 'tokens/{*rest}']);
  });

  it('refuses templates the host would refuse', () => {
    expect(() => compileRoute('a/{*rest}/b')).toThrow('catch-all');
    expect(() => compileRoute('a/{id?}/b')).toThrow('optional');
    expect(() => compileRoute('a/{id')).toThrow('unbalanced');
    expect(() => compileRoute('a/{}')).toThrow('not a route parameter');
  });
});

describe('host.json', () => {
  it('reads TimeSpans', () => {
    expect(parseTimeSpan('00:00:10')).toBe(10_000);
    expect(parseTimeSpan('00:00:00.250')).toBe(250);
    expect(parseTimeSpan('1.02:00:00')).toBe(26 * 3600_000);
    expect(() => parseTimeSpan('10s')).toThrow('not a TimeSpan');
    expect(() => parseTimeSpan('00:61:00')).toThrow('not a TimeSpan');
  });

  it("applies the host's defaults and the file's values", () => {
    expect(hostOptionsFrom({})).toEqual({
      routePrefix: 'api',
      queues: { batchSize: 16, newBatchThreshold: 8, maxPollingIntervalMs: 60_000, visibilityTimeoutMs: 0, maxDequeueCount: 5, messageEncoding: 'base64' },
      logLevels: {},
    });
    const options = hostOptionsFrom({
      extensions: { http: { routePrefix: '/v1/' }, queues: { batchSize: 4, maxPollingInterval: '00:00:02', visibilityTimeout: '00:00:10', maxDequeueCount: 3 } },
      logging: { logLevel: { default: 'Warning', 'Function.chatty': 'Debug' } },
    });
    expect(options.routePrefix).toBe('v1');
    expect(options.queues).toEqual({ batchSize: 4, newBatchThreshold: 2, maxPollingIntervalMs: 2000, visibilityTimeoutMs: 10_000, maxDequeueCount: 3, messageEncoding: 'base64' });
    expect(logLevelEnabled(options.logLevels, 'quiet', 'information')).toBe(false);
    expect(logLevelEnabled(options.logLevels, 'quiet', 'error')).toBe(true);
    expect(logLevelEnabled(options.logLevels, 'chatty', 'debug')).toBe(true);
  });

  it('names the field that is wrong', () => {
    expect(() => hostOptionsFrom({ extensions: { queues: { batchSize: 64 } } })).toThrow('extensions.queues.batchSize must be a whole number from 1 to 32');
    expect(() => hostOptionsFrom({ extensions: { queues: { messageEncoding: 'utf8' } } })).toThrow('messageEncoding');
    expect(() => hostOptionsFrom({ logging: { logLevel: { default: 'Loud' } } })).toThrow('logging.logLevel.default');
  });
});

describe('timer schedules', () => {
  it('resolves %SETTING% references and names a missing setting', () => {
    expect(resolveSettingReferences('%RECONCILE_SCHEDULE%', { RECONCILE_SCHEDULE: ' 0 0 2 * * * ' }, 'reconcile')).toBe('0 0 2 * * *');
    expect(() => resolveSettingReferences('%NOPE%', {}, 'the schedule of reconcile')).toThrow('Setting NOPE: missing (the schedule of reconcile refers to %NOPE%)');
  });

  it('computes NCRONTAB occurrences in UTC, seconds first', () => {
    const schedule = parseSchedule('0 0 2 * * *', 'reconcile');
    expect(schedule.next(new Date('2026-03-01T10:00:00Z')).toISOString()).toBe('2026-03-02T02:00:00.000Z');
    expect(schedule.previous(new Date('2026-03-01T10:00:00Z')).toISOString()).toBe('2026-03-01T02:00:00.000Z');
    expect(parseSchedule('*/15 * * * * *', 'fast').next(new Date('2026-03-01T10:00:07Z')).toISOString()).toBe('2026-03-01T10:00:15.000Z');
  });

  it('takes a TimeSpan interval', () => {
    expect(parseSchedule('00:05:00', 'poll').next(new Date('2026-03-01T10:00:00Z')).toISOString()).toBe('2026-03-01T10:05:00.000Z');
  });

  it('refuses five-field and malformed expressions, naming the function', () => {
    expect(() => parseSchedule('0 2 * * *', 'reconcile')).toThrow('Function reconcile: schedule "0 2 * * *" must be a six-field NCRONTAB expression');
    expect(() => parseSchedule('0 0 25 * * *', 'reconcile')).toThrow('Function reconcile');
  });
});
