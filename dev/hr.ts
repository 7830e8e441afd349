import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { signWebhook } from '../shared/domain/webhookSignature';
import { LOCAL_DIR } from './paths';

/**
 * `npm run dev:hr -- hire E1001 [--upn ada@contoso.com] [--name "Ada L"] [--hire-date 2026-12-01] [--location GVA]`
 * and `npm run dev:hr -- terminate E1001 [--date 2026-12-31]`: sends the HR webhook event an HR system
 * would, signed the Standard Webhooks way with the secret `npm start` wrote to .local/dev-settings.json.
 */

export const DEV_SETTINGS_FILE = path.join(LOCAL_DIR, 'dev-settings.json');

const USAGE = `usage: npm run dev:hr -- hire EMPLOYEE_ID [--upn UPN] [--name NAME] [--hire-date YYYY-MM-DD] [--location SITE]
       npm run dev:hr -- terminate EMPLOYEE_ID [--date YYYY-MM-DD]
       npm run dev:hr -- update EMPLOYEE_ID [--upn UPN] [--name NAME] [--location SITE]
  --hire-date and --date default to today; --url is the Functions host (default http://127.0.0.1:7071);
  --settings the file holding HR_WEBHOOK_SECRETS (default .local/dev-settings.json, written by npm start)`;

export class HrCommandError extends Error {}

const TYPES = { hire: 'employee.hired', terminate: 'employee.terminated', update: 'employee.updated' } as const;

export interface HrCommand {
  type: (typeof TYPES)[keyof typeof TYPES];
  data: Record<string, string>;
  url: string;
  settingsFile: string;
}

export function parseHrArgs(argv: string[], today = new Date().toISOString().slice(0, 10)): HrCommand | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      upn: { type: 'string' },
      name: { type: 'string' },
      'hire-date': { type: 'string' },
      date: { type: 'string' },
      location: { type: 'string' },
      url: { type: 'string' },
      settings: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const [action, employeeId, ...extra] = positionals;
  if (!action || !(action in TYPES)) throw new HrCommandError(`the first word must be hire, terminate or update\n${USAGE}`);
  if (!employeeId || extra.length > 0) throw new HrCommandError(`${action} takes one EMPLOYEE_ID\n${USAGE}`);
  const type = TYPES[action as keyof typeof TYPES];
  const data: Record<string, string> = { employeeId };
  if (values.upn) data.userPrincipalName = values.upn;
  if (values.name) data.displayName = values.name;
  if (values.location) data.location = values.location;
  if (type === 'employee.hired') data.hireDate = values['hire-date'] ?? today;
  else if (values['hire-date']) throw new HrCommandError('--hire-date goes with hire');
  if (type === 'employee.terminated') data.terminationDate = values.date ?? today;
  else if (values.date) throw new HrCommandError('--date goes with terminate (a hire takes --hire-date)');
  return { type, data, url: (values.url ?? 'http://127.0.0.1:7071').replace(/\/+$/, ''), settingsFile: path.resolve(values.settings ?? DEV_SETTINGS_FILE) };
}

/** The first secret of HR_WEBHOOK_SECRETS in the dev settings file (the one the HR system signs with). */
export function devHrSecret(settingsFile: string): string {
  if (!existsSync(settingsFile)) throw new HrCommandError(`${settingsFile} is missing: start the local stack with npm start first (it writes the HR webhook secret there)`);
  const settings = JSON.parse(readFileSync(settingsFile, 'utf8')) as { HR_WEBHOOK_SECRETS?: unknown };
  const secret = typeof settings.HR_WEBHOOK_SECRETS === 'string' ? settings.HR_WEBHOOK_SECRETS.trim().split(/\s+/)[0] : undefined;
  if (!secret) throw new HrCommandError(`${settingsFile} has no HR_WEBHOOK_SECRETS; restart the stack with npm start`);
  return secret;
}

/** Sends the event signed with `secret`; answers the webhook's status and body. */
export async function sendHrEvent(command: Pick<HrCommand, 'type' | 'data' | 'url'>, secret: string): Promise<{ status: number; body: Record<string, unknown>; eventId: string }> {
  const eventId = `msg_${randomUUID()}`;
  const timestamp = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({ type: command.type, data: command.data });
  let response: Response;
  try {
    response = await fetch(`${command.url}/api/hr/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': eventId, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(secret, eventId, timestamp, body) },
      body,
    });
  } catch (error) {
    throw new HrCommandError(`the Functions host does not answer at ${command.url} (${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message}); start the stack with npm start`);
  }
  const text = await response.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { detail: text.slice(0, 300) };
  }
  return { status: response.status, body: parsed, eventId };
}

async function main(): Promise<void> {
  const command = parseHrArgs(process.argv.slice(2));
  if (command === 'help') {
    console.log(USAGE);
    return;
  }
  const answer = await sendHrEvent(command, devHrSecret(command.settingsFile));
  if (answer.status >= 400) {
    const errors = Array.isArray(answer.body.errors) ? (answer.body.errors as { path: string; message: string }[]).map((e) => `${e.path}: ${e.message}`).join('; ') : '';
    const detail = typeof answer.body.detail === 'string' ? answer.body.detail : typeof answer.body.title === 'string' ? answer.body.title : '';
    throw new HrCommandError(`the webhook answered ${answer.status}: ${detail}${errors ? ` (${errors})` : ''}`);
  }
  console.log(`${command.type} for ${command.data.employeeId ?? ''} sent as ${answer.eventId}: ${answer.status} ${typeof answer.body.status === 'string' ? answer.body.status : ''}`);
  console.log(`Follow it with: npm run -s oathctl -- provisioning ${command.data.employeeId ?? ''}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    const known = error instanceof HrCommandError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`dev:hr: ${known ? (error as Error).message : String(error)}\n`);
    process.exit(1);
  });
}
