import { InvocationContext } from '@azure/functions';
import { printableLogLine } from '../../shared/domain/text';
import { withPrintableLogs } from '../../shared/app/hosting';
import { problem } from '../../shared/http/problem';

/** Issue 21 item 8: log lines built from outside input stay one printable line; a problem's status is the HTTP status. */

describe('log lines built from outside input', () => {
  it.each([
    ['a line feed that would forge a second line', 'event employee.hired\nERROR LeaverRevocationFailing employeeId=E1', 'event employee.hired ERROR LeaverRevocationFailing employeeId=E1'],
    ['carriage return and NUL', 'type=a\r\u0000b', 'type=a b'],
    ['terminal escapes', 'vendor \u001b[31mred\u001b[0m', 'vendor  [31mred [0m'],
    ['C1 controls and DEL', 'x\u0085y\u009bz\u007f', 'x y z '],
    ['line and paragraph separators', 'a\u2028b\u2029c', 'a b c'],
    ['bidirectional overrides', 'serial \u202eTFIL\u202c done \u2066x\u2069', 'serial  TFIL  done  x '],
    ['a tab', 'a\tb', 'a b'],
  ])('drops %s', (_what, input, expected) => {
    expect(printableLogLine(input)).toBe(expected);
    // eslint-disable-next-line no-control-regex -- the property under test
    expect(printableLogLine(input)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
  });

  it('leaves ordinary text alone, accents and all', () => {
    const line = 'hr event 7f3c (employee.hired) queued for employeeId=E1001: Zoë Çelik, ₿ 42 — ok';
    expect(printableLogLine(line)).toBe(line);
  });

  it('makes every level of a function invocation\'s logger write one printable line', () => {
    const written: [string, string][] = [];
    const context = withPrintableLogs(new InvocationContext({ invocationId: 'inv-1', functionName: 'hrVendorEvents', logHandler: (level, ...args) => written.push([level, args.map(String).join(' ')]) }));
    const notice = { type: 'employee.left\n[Error] fake line' };
    context.log(`hibob event ${notice.type} ignored`);
    context.warn('vendor said:', 'a\u001b[2Jb');
    context.error(new Error('boom\nsecond line'));
    context.info('%s queued', 'x\r\ny');
    expect(written.map(([level]) => level)).toEqual(['information', 'warning', 'error', 'information']);
    // eslint-disable-next-line no-control-regex -- the property under test
    for (const [, line] of written) expect(line).not.toMatch(/[\r\n\u001b]/);
    expect(written[0]![1]).toBe('hibob event employee.left [Error] fake line ignored');
    expect(written[1]![1]).toBe('vendor said: a [2Jb');
    expect(written[3]![1]).toBe('x y queued');
  });
});

describe('problem details', () => {
  it('keeps status, type and title its own whatever an extension carries', () => {
    // The type forbids it; a caller that casts past the type still cannot replace them.
    const extra = { serialNumber: 'S1', status: 'in_stock', type: 'x', title: 'y' } as unknown as Parameters<typeof problem>[2];
    const response = problem(409, 'token S1 is in_stock', extra);
    expect(response.status).toBe(409);
    expect(JSON.parse(response.body as string)).toEqual({ type: 'about:blank', title: 'Conflict', status: 409, detail: 'token S1 is in_stock', serialNumber: 'S1' });
  });
});
