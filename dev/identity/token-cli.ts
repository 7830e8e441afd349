import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEV_CA_DIR } from '../tls';
import { DEV_PERSONAS } from './authorize';
import { DEV_ADMIN_AUDIENCE, DEV_IDENTITY_PORT } from './server';
import { postJsonTrusting } from '../net';

/**
 * `npm run dev:token -- --roles Tokens.Admin`: prints one signed JWT from the running dev identity,
 * for curl and oathctl against the local stack.
 */

const USAGE = `usage: npm run dev:token -- [--persona P | --roles R1,R2] [--audience A] [--subject S] [--name N] [--expires SECONDS] [--url URL]
  --persona   one of the sign-in page's people: ${DEV_PERSONAS.map((p) => `${p.key} (${p.roles.join(', ')})`).join(', ')};
              their roles, object id and name
  --roles     app roles to put in the token (comma-separated or repeated), e.g. Tokens.Admin or Tokens.Desk;
              a Graph token without --roles gets the app's Graph permissions
  --audience  defaults to ${DEV_ADMIN_AUDIENCE} (the admin API); https://graph.microsoft.com for the Graph emulator
  --url       the dev identity, default https://127.0.0.1:${DEV_IDENTITY_PORT}`;

class CliError extends Error {}

interface DevTokenRequest {
  audience: string;
  roles?: string[];
  subject?: string;
  name?: string;
  expiresInSeconds?: number;
}

function parseCommandLine(argv: string[]): { url: string; body: DevTokenRequest } {
  const { values } = parseArgs({
    args: argv,
    options: {
      persona: { type: 'string' },
      roles: { type: 'string', multiple: true },
      audience: { type: 'string' },
      subject: { type: 'string' },
      name: { type: 'string' },
      expires: { type: 'string' },
      url: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const body: DevTokenRequest = { audience: values.audience ?? DEV_ADMIN_AUDIENCE };
  if (values.persona !== undefined) {
    const persona = DEV_PERSONAS.find((p) => p.key === values.persona);
    if (!persona) throw new CliError(`--persona must be one of ${DEV_PERSONAS.map((p) => p.key).join(', ')}, got '${values.persona}'`);
    if (values.roles !== undefined) throw new CliError('give --persona or --roles, not both');
    Object.assign(body, { roles: [...persona.roles], subject: persona.objectId, name: persona.userPrincipalName });
  }
  if (values.roles !== undefined) {
    body.roles = values.roles.flatMap((r) => r.split(',')).map((r) => r.trim()).filter((r) => r !== '');
  }
  if (values.subject !== undefined) body.subject = values.subject;
  if (values.name !== undefined) body.name = values.name;
  if (values.expires !== undefined) {
    const seconds = Number(values.expires);
    if (!Number.isInteger(seconds) || seconds <= 0) throw new CliError(`--expires must be a positive number of seconds, got '${values.expires}'`);
    body.expiresInSeconds = seconds;
  }
  const url = (values.url ?? `https://127.0.0.1:${DEV_IDENTITY_PORT}`).replace(/\/+$/, '');
  if (!URL.canParse(url) || !url.startsWith('https://')) throw new CliError(`--url must be an https URL, got '${url}'`);
  return { url, body };
}

function devCaPem(): string {
  const caPath = path.join(DEV_CA_DIR, 'ca.pem');
  if (!existsSync(caPath)) throw new CliError(`the dev CA is missing (${caPath}); start the local stack first with npm start`);
  return readFileSync(caPath, 'utf8');
}

function describeNetworkError(error: unknown, url: string): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH') {
    return `the dev identity is not running at ${url} (start the local stack with npm start)`;
  }
  return `could not reach the dev identity at ${url}: ${error instanceof Error ? error.message : String(error)}`;
}

async function main(): Promise<void> {
  const { url, body } = parseCommandLine(process.argv.slice(2));
  const ca = devCaPem();
  let answer: { status: number; text: string };
  try {
    answer = await postJsonTrusting(`${url}/_dev/token`, body, ca);
  } catch (error) {
    throw new CliError(describeNetworkError(error, url));
  }
  let parsed: { access_token?: unknown; error_description?: unknown } = {};
  try {
    parsed = JSON.parse(answer.text) as typeof parsed;
  } catch {
    // Reported below as an unexpected answer.
  }
  if (answer.status !== 200 || typeof parsed.access_token !== 'string') {
    const reason = typeof parsed.error_description === 'string' ? parsed.error_description : `HTTP ${answer.status}`;
    throw new CliError(`the dev identity at ${url} refused the request: ${reason}`);
  }
  process.stdout.write(`${parsed.access_token}\n`);
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`dev:token: ${message.split('\n')[0]}\n`);
  process.exit(1);
});
