import { z } from 'zod';
import { hrEventSchema } from '../../shared/domain/hrEvent';
import { validate } from '../../shared/domain/validation';

/** What an administrator reads when a request is refused: zod's default wording never, the schema's own always. */
describe('validate', () => {
  const schema = z
    .object({
      name: z.string(),
      note: z.string().min(1),
      code: z.string().min(6).max(6),
      serials: z.array(z.string()).min(1).max(2),
      interval: z.number().int().min(30),
      reason: z.enum(['lost', 'stolen']),
      format: z.literal('csv'),
      mail: z.email(),
      pattern: z.string().regex(/^[a-z]+$/),
      own: z.string().regex(/^[a-z]+$/, 'must be lower-case letters'),
      either: z.union([z.string(), z.number()]),
    })
    .strict();

  it('says what each field must be, in plain words, keeping the schema own messages', () => {
    const result = validate(schema, {
      note: '',
      code: '1234567',
      serials: [],
      interval: 1.5,
      reason: 'misplaced',
      format: 'pskc',
      mail: 'nope',
      pattern: 'ABC',
      own: 'ABC',
      either: true,
      secretKey: 'JBSWY3DPEHPK3PXP',
    });
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors;
    expect(errors).toEqual([
      { path: 'name', message: 'is required' },
      { path: 'note', message: 'must not be empty' },
      { path: 'code', message: 'must be at most 6 characters long' },
      { path: 'serials', message: 'must list at least one item' },
      { path: 'interval', message: 'must be a whole number' },
      { path: 'reason', message: 'must be one of lost, stolen' },
      { path: 'format', message: 'must be "csv"' },
      { path: 'mail', message: 'must be an email address' },
      { path: 'pattern', message: 'is not in the expected format' },
      { path: 'own', message: 'must be lower-case letters' },
      { path: 'either', message: 'does not match any of the accepted forms' },
      { path: '', message: 'has a field this request does not take: secretKey' },
    ]);
    for (const error of errors) expect(error.message).not.toMatch(/Invalid|Too small|Too big|expected .*, received|Unrecognized/);
    // A refused value is never quoted back (it may be a secret).
    expect(JSON.stringify(errors)).not.toMatch(/misplaced|nope|ABC|1234567/);
  });

  it('names the type it got when one was given', () => {
    expect(validate(z.object({ n: z.number(), s: z.string(), o: z.object({}) }), { n: 'x', s: 5, o: [] })).toEqual({
      ok: false,
      errors: [
        { path: 'n', message: 'must be a number, not text' },
        { path: 's', message: 'must be text, not a number' },
        { path: 'o', message: 'must be a JSON object, not a list' },
      ],
    });
    expect(validate(z.array(z.string()).max(2), ['a', 'b', 'c'])).toEqual({ ok: false, errors: [{ path: '', message: 'must have at most 2 items' }] });
    expect(validate(z.number().gt(0), 0)).toEqual({ ok: false, errors: [{ path: '', message: 'must be greater than 0' }] });
  });
});

describe('an HR event', () => {
  it('reads an empty, blank or null optional field as absent, not as an error', () => {
    const result = validate(hrEventSchema, {
      type: 'employee.hired',
      data: { employeeId: 'E1001', userPrincipalName: '', displayName: ' ', hireDate: '', location: '', terminationDate: null },
    });
    expect(result).toEqual({ ok: true, value: { type: 'employee.hired', data: { employeeId: 'E1001' } } });
  });

  it('still refuses a given field that is wrong, and a missing required one, in plain words', () => {
    expect(validate(hrEventSchema, { type: 'employee.hired', data: { location: 'Geneva, Switzerland', displayName: 42 } })).toEqual({
      ok: false,
      errors: [
        { path: 'data.employeeId', message: 'is required' },
        { path: 'data.displayName', message: 'must be text, not a number' },
        { path: 'data.location', message: 'must be a short site code (1-16 letters, digits, "_" or "-")' },
      ],
    });
    expect(validate(hrEventSchema, { type: 'employee.terminated', data: { employeeId: 'E1001', terminationDate: '' } })).toEqual({
      ok: false,
      errors: [{ path: 'data.terminationDate', message: 'is required for employee.terminated' }],
    });
  });
});
