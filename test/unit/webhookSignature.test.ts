import { signWebhook, verifyWebhook } from '../../shared/domain/webhookSignature';

const OLD = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const NEW = 'whsec_' + Buffer.from('a new thirty-two byte secret key').toString('base64');
const body = Buffer.from('{"type":"employee.hired","data":{"employeeId":"E1"}}');
const now = new Date('2026-11-28T10:00:00Z');
const ts = Math.floor(now.getTime() / 1000);

describe('verifyWebhook', () => {
  it('accepts a signature made with any configured secret, among several entries', () => {
    const header = `v1,${Buffer.alloc(32).toString('base64')} ${signWebhook(NEW, 'msg_1', ts, body)}`;
    expect(verifyWebhook([OLD, NEW], { id: 'msg_1', timestamp: String(ts), signature: header }, body, now)).toEqual({ ok: true });
  });

  it('matches the Standard Webhooks reference vector', () => {
    // From the Standard Webhooks specification's test suite.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const payload = Buffer.from('{"test": 2432232314}');
    const signature = signWebhook(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, payload);
    expect(signature).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it.each([
    ['a changed body', { id: 'msg_1', timestamp: String(ts) }, Buffer.from('{"type":"employee.terminated"}'), 'no webhook-signature matches a configured secret'],
    ['a changed id', { id: 'msg_2', timestamp: String(ts) }, body, 'no webhook-signature matches a configured secret'],
    ['an old timestamp', { id: 'msg_1', timestamp: String(ts - 301) }, body, 'webhook-timestamp is more than 5 minutes away from now'],
    ['a future timestamp', { id: 'msg_1', timestamp: String(ts + 301) }, body, 'webhook-timestamp is more than 5 minutes away from now'],
    ['a timestamp in milliseconds', { id: 'msg_1', timestamp: `${ts}000x` }, body, 'webhook-timestamp is not a Unix time in seconds'],
  ])('refuses %s', (_what, headers, sentBody, reason) => {
    const signature = signWebhook(OLD, 'msg_1', ts, body);
    expect(verifyWebhook([OLD], { ...headers, signature }, sentBody, now)).toEqual({ ok: false, reason });
  });

  it('refuses a signature from a secret that is no longer configured, and missing headers', () => {
    const signature = signWebhook(OLD, 'msg_1', ts, body);
    expect(verifyWebhook([NEW], { id: 'msg_1', timestamp: String(ts), signature }, body, now).ok).toBe(false);
    expect(verifyWebhook([OLD], { id: 'msg_1', timestamp: String(ts), signature: null }, body, now).ok).toBe(false);
    expect(verifyWebhook([OLD], { id: 'msg_1', timestamp: String(ts), signature: 'v2,' + signature.slice(3) }, body, now).ok).toBe(false);
  });
});
