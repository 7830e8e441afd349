#!/usr/bin/env node
import { closeSync, constants, createWriteStream, openSync, readFileSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { ApiError, apiClient, type ApiClient } from './api';
import { csvParts, jsonParts, type ImportPart } from './importParts';
import { printable, progressBar, table } from './output';

/**
 * oathctl: the admin API from a terminal. Exit codes: 0 done, 1 failed, 2 wrong usage,
 * 3 done but some rows were rejected.
 */

const USAGE = `Usage: oathctl <command> [options]

Commands:
  import FILE [--seed-encoding base32|hex] [--key-name K] [--manufacturer M] [--model X] [--pool P]
                              import a seed file: Entra portal CSV, Token2 JSON, PSKC (.pskcxml/.xml, its key named
                              by --key-name, kept in Key Vault), or an OpenPGP-encrypted CSV/JSON (.pgp/.gpg/.asc)
  keys [list]                 the configured seed-file keys: the OpenPGP intake key, vendor signer keys, PSKC keys
  keys generate [--name N] [--email E] [--type ecc|rsa] [--replace] [--out FILE]
                              make the OpenPGP intake key pair; the private half stays in Key Vault, the public key
                              (to send to the vendor) is printed or written to FILE
  keys public [--out FILE]    print the intake public key again
  seeds --serials S1,S2 --manufacturer M --model X [--interval 30|60] [--hash hmacsha1|hmacsha256] [--pool P] [--out FILE]
        [--format csv|pskc --key-name K [--key-type preshared|passphrase]]
                              generate seeds for programmable tokens; writes the one-time serial,secret key CSV, or
                              PSKC encrypted with the Key Vault key K (a hex AES key, or a PBKDF2 passphrase)
  list [--status S] [--pool P] [--user U] [--all]
                              list the inventory (first page, or every page with --all)
  show SERIAL                 one token
  export tokens [--status S] [--pool P] [--user U] [--out FILE]
  export audit [--serial S] [--user EMPLOYEEID] [--since DATE] [--out FILE]
                              the inventory or the audit trail as CSV (no seeds), streamed to FILE or standard output
  revoke USER --reason R [--note TEXT]
                              take USER's token (UPN or employee id); R: lost, stolen, damaged, returned, offboarded, unused
  revoke --serial S --reason R [--note TEXT]
                              take token S, from whoever Entra says holds it (a user with several tokens needs this)
  replace USER --reason lost|stolen|damaged [--note TEXT] [--tap]
                              revoke USER's token and provision another; --tap also issues a Temporary Access Pass,
                              shown this once
  provisioning [EMPLOYEE] [--status S] [--kind joiner|leaver] [--all]
                              where hires and leavers stand: one employee's joiner and leaver work (with the reason
                              of a failure), or the list (S: queued, deferred, waiting_for_user, in_progress,
                              completed, failed, cancelled, pending_revocation, retrying)
  retry EMPLOYEE              send a failed hire (or a failed or retrying leaver) through again
  approve EMPLOYEE            let a hire refused as privileged_account go ahead (needs Tokens.PrivilegedAdmin)
  audit [--serial S] [--user EMPLOYEE] [--action A] [--since T] [--until T] [--all]
                              the audit trail, oldest first; the filters narrow together (at least one of serial,
                              user, action, since); A: an action (token.revoked.lost) or a family (token.revoked);
                              T: an ISO date or date-time, or an age such as 30m, 12h, 7d
  handovers [--location SITE] [--status pending|shipped|delivered] [--csv]
                              the pick list: tokens awaiting hand-over (--csv for label printers)
  ship SERIAL --status shipped|delivered [--tracking T]
                              record a token's way to its site
  handover SERIAL CODE        hand a token over: CODE is the 6 digits it shows, read in front of its new holder
  suspend USER                deactivate USER's token for a leave of absence
  resume USER                 activate it again
  reconcile [--mode report|safe|all] [--report]
                              run a reconciliation now (mode: the service's RECONCILE_REPAIR_MODE unless given);
                              --report waits for it and prints its report
  reconcile --latest          print the last report, without running one
  reconcile --apply RUNID     apply the repairs of a run held for changing more than RECONCILE_MAX_CHANGES (read its report first)
  health                      whether the service and its dependencies answer

Options:
  --url URL      admin API root (env OATHCTL_URL, default http://127.0.0.1:7071)
  --token JWT    bearer token (env OATHCTL_TOKEN)
  --scope SCOPE  get a token with your Azure sign-in instead, e.g. api://entra-oath-tokens/.default (env OATHCTL_SCOPE)
  --json         machine-readable output
  --rows N       rows per request for import (default 1000)
  -h, --help     this text`;

class UsageError extends Error {}

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);

/** The API root: https, or http only to this machine, so a bearer token never crosses a network in clear. */
function apiRoot(given: string): string {
  if (!URL.canParse(given)) throw new UsageError(`--url ${given} is not a URL`);
  const url = new URL(given);
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(url.hostname);
  if (url.protocol === 'http:' && !loopback) {
    throw new UsageError(`--url ${url.origin} is plain http to another machine; use https (http is only for 127.0.0.1, localhost or ::1)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url ${url.origin} must be an https URL`);
  return given.replace(/\/+$/, '');
}

/**
 * Opens `file` for --out only if nothing is there yet: never over an existing file, never through a
 * symbolic link (O_EXCL with O_CREAT fails on either; O_NOFOLLOW where the platform has it).
 */
function openExclusive(file: string, what = 'seeds'): number {
  try {
    return openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'EEXIST' || code === 'ELOOP') throw new UsageError(`--out ${file} already exists (or is a link); ${what} are only written to a new file`);
    throw error;
  }
}

interface ImportSummary {
  imported: number;
  unchanged: number;
  errors: { line: number; serial: string; reason: string }[];
}

interface TokenView {
  serialNumber: string;
  status: string;
  pool: string;
  model: string;
  manufacturer: string;
  userPrincipalName: string | null;
  displayName: string | null;
  employeeId: string | null;
  updatedAt: string;
  lastChangeReason: string;
}

type Out = { json: boolean; print: (text: string) => void; progress: (done: number, total: number) => void; dot: (text: string) => void };

interface ReconcileReportView {
  runId: string;
  mode: string;
  requestedBy: string;
  requestedByName?: string;
  startedAt: string;
  durationMs: number;
  counts: Record<string, number>;
  drift: Record<string, number>;
  items: { kind: string; serialNumber?: string; employeeId?: string; secretName?: string; detail: string; repair: string }[];
  itemsTruncated: boolean;
  lowStock: { pool: string; available: number; threshold: number }[];
  repairsQueued: number;
  status?: string;
  changes?: number;
  maxChanges?: number;
  repairsHeld?: number;
  graphPages: number;
  webhookDeliveriesPurged?: number;
}

/** How long `reconcile --report` waits for the run's report: a large tenant takes minutes. */
const REPORT_POLLS = 900;
const REPORT_POLL_MS = 1000;

function printReport(out: Out, report: ReconcileReportView): void {
  if (out.json) {
    out.print(JSON.stringify(report, null, 2));
    return;
  }
  const c = report.counts;
  out.print(
    `Reconciliation ${report.runId} (mode ${report.mode}, by ${report.requestedByName ?? report.requestedBy}) at ${report.startedAt}, ${(report.durationMs / 1000).toFixed(1)} s: ` +
      `${c.tokensInInventory ?? 0} tokens, ${c.devicesInEntra ?? 0} Entra devices (${report.graphPages} pages), ${c.seedsInVault ?? 0} seeds, ${c.consistent ?? 0} consistent; ${report.repairsQueued} repairs queued.`,
  );
  if (report.status === 'held') {
    out.print(`HELD: ${report.repairsHeld ?? 0} repairs would change more than RECONCILE_MAX_CHANGES (${report.maxChanges ?? '?'}); none queued. Read them, then: oathctl reconcile --apply ${report.runId}`);
  }
  const kinds = Object.entries(report.drift).filter(([, count]) => count > 0);
  out.print(kinds.length === 0 ? 'No drift.' : `\n${table(['DRIFT', 'COUNT'], kinds.map(([kind, count]) => [kind, String(count)]))}`);
  if (report.items.length > 0) {
    out.print(
      `\n${table(
        ['KIND', 'SERIAL', 'SUBJECT', 'REPAIR', 'DETAIL'],
        report.items.map((i) => [i.kind, i.serialNumber ?? '-', i.employeeId ?? i.secretName ?? '-', i.repair, i.detail]),
      )}`,
    );
    if (report.itemsTruncated) out.print(`(the first ${report.items.length} items; the counts above are complete)`);
  }
  if (report.lowStock.length > 0) {
    out.print(`\n${table(['POOL', 'AVAILABLE', 'THRESHOLD'], report.lowStock.map((l) => [l.pool || '(shared)', String(l.available), String(l.threshold)]))}`);
  }
}

async function reconcile(api: ApiClient, out: Out, options: { mode: string | undefined; report: boolean; latest: boolean; apply: string | undefined }): Promise<number> {
  if (options.apply !== undefined) {
    if (options.mode !== undefined || options.report || options.latest) throw new UsageError('--apply RUNID goes alone: it applies a held run, it does not start one');
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(options.apply)) throw new UsageError('--apply needs the run id of a held report');
    const applied = await api.json<{ runId: string; status: string; repairs: number }>('POST', `/api/reconcile/${encodeURIComponent(options.apply)}/apply`, {});
    out.print(out.json ? JSON.stringify(applied, null, 2) : `Reconciliation ${applied.runId}: ${applied.repairs} held repairs queued.`);
    return 0;
  }
  if (options.mode !== undefined && !['report', 'safe', 'all'].includes(options.mode)) throw new UsageError('--mode must be report, safe or all');
  if (options.latest) {
    if (options.mode !== undefined) throw new UsageError('--latest prints the last report; it does not run one, so it takes no --mode');
    printReport(out, await api.json<ReconcileReportView>('GET', '/api/reports/reconcile/latest'));
    return 0;
  }
  const started = await api.json<{ runId: string; status: string; mode: string }>('POST', '/api/reconcile', options.mode ? { mode: options.mode } : {});
  if (!options.report) {
    out.print(out.json ? JSON.stringify(started, null, 2) : `Reconciliation ${started.runId} queued (mode ${started.mode}). See it with: oathctl reconcile --latest`);
    return 0;
  }
  for (let poll = 0; poll < REPORT_POLLS; poll++) {
    try {
      const report = await api.json<ReconcileReportView>('GET', `/api/reports/reconcile/${encodeURIComponent(started.runId)}`);
      if (poll > 0) out.dot('\n');
      printReport(out, report);
      return 0;
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 404) throw error;
    }
    out.dot('.');
    await new Promise((resolve) => setTimeout(resolve, REPORT_POLL_MS));
  }
  throw new ApiError(0, `reconciliation ${started.runId} did not finish within ${(REPORT_POLLS * REPORT_POLL_MS) / 60_000} minutes; see it later with: oathctl reconcile --latest`);
}

interface ImportFlags {
  seedEncoding?: string;
  keyName?: string;
  manufacturer?: string;
  model?: string;
  pool?: string;
}

type Part = Omit<ImportPart, 'body' | 'contentType'> & { body: string | Buffer; contentType: ImportPart['contentType'] | 'application/pskc+xml' | 'application/pgp-encrypted' };

/** PSKC and OpenPGP files go whole (they cannot be cut between records); CSV and JSON in parts. */
function importParts(file: string, rowsPerRequest: number, flags: ImportFlags): Part[] {
  const bytes = readFileSync(file);
  const head = bytes.subarray(0, 64).toString('latin1').trimStart();
  // A binary OpenPGP message opens with a session-key packet (old or new packet format); an armoured one with its banner.
  const pgp = /\.(pgp|gpg|asc)$/i.test(file) || head.startsWith('-----BEGIN PGP MESSAGE-----') || [0x84, 0x85, 0x86, 0x8c, 0x8d, 0xc1, 0xc3].includes(bytes[0] ?? 0);
  const pskc = /\.(pskcxml|pskc|xml)$/i.test(file) || head.startsWith('<');
  if (flags.keyName !== undefined && !pskc) throw new UsageError('--key-name goes with a PSKC file');
  if (pgp) return [{ body: bytes, contentType: 'application/pgp-encrypted', lineOffset: 0, records: 1 }];
  if (pskc) return [{ body: bytes, contentType: 'application/pskc+xml', lineOffset: 0, records: 1 }];
  const text = bytes.toString('utf8');
  return /^\s*[[{]/.test(text) ? jsonParts(text, rowsPerRequest) : csvParts(text, rowsPerRequest);
}

async function importFile(api: ApiClient, out: Out, file: string, rowsPerRequest: number, flags: ImportFlags): Promise<number> {
  const parts = importParts(file, rowsPerRequest, flags);
  const query = new URLSearchParams();
  if (flags.seedEncoding) query.set('seedEncoding', flags.seedEncoding);
  if (flags.keyName) query.set('keyName', flags.keyName);
  for (const name of ['manufacturer', 'model', 'pool'] as const) {
    const value = flags[name];
    if (value && parts[0]?.contentType === 'application/pskc+xml') query.set(name, value);
  }
  const total = parts.reduce((sum, p) => sum + p.records, 0);
  const summary: ImportSummary = { imported: 0, unchanged: 0, errors: [] };
  let done = 0;
  out.progress(0, total);
  for (const part of parts) {
    query.set('lineOffset', String(part.lineOffset));
    const response = await api.request('POST', `/api/tokens/import?${query.toString()}`, { body: part.body, contentType: part.contentType });
    const result = (await response.json()) as ImportSummary;
    summary.imported += result.imported;
    summary.unchanged += result.unchanged;
    summary.errors.push(...result.errors);
    done += part.records;
    out.progress(done, total);
  }
  if (out.json) {
    out.print(JSON.stringify(summary, null, 2));
  } else {
    out.print(`Imported ${summary.imported}, unchanged ${summary.unchanged}, rejected ${summary.errors.length}.`);
    if (summary.errors.length > 0) out.print(table(['LINE', 'SERIAL', 'REASON'], summary.errors.map((e) => [String(e.line), e.serial, e.reason])));
  }
  return summary.errors.length > 0 ? 3 : 0;
}

interface KeyFacts {
  fingerprint: string;
  userIds: string[];
  created: string;
  algorithm: string;
}

interface IntakeKeysView {
  pgp: ({ configured: true; secretName: string; publicKey: string } & KeyFacts) | { configured: false; secretName: string };
  signers: KeyFacts[];
  pskc: { keyName: string; secretName: string; updatedOn?: string }[];
}

function writeOrPrint(out: Out, text: string, file: string | undefined, what: string): void {
  if (!file) {
    out.print(text.trimEnd());
    return;
  }
  writeFileSync(file, text);
  out.print(`${what} written to ${file}.`);
}

async function keys(api: ApiClient, out: Out, action: string, options: { name?: string; email?: string; type?: string; replace: boolean; out?: string }): Promise<number> {
  if (action === 'generate') {
    if (options.type !== undefined && options.type !== 'ecc' && options.type !== 'rsa') throw new UsageError('--type must be ecc or rsa');
    const made = await api.json<{ secretName: string; publicKey: string } & KeyFacts>('POST', '/api/tokens/intake-keys', {
      ...(options.name ? { name: options.name } : {}),
      ...(options.email ? { email: options.email } : {}),
      ...(options.type ? { type: options.type } : {}),
      replace: options.replace,
    });
    if (out.json) {
      out.print(JSON.stringify(made, null, 2));
      return 0;
    }
    out.print(`Intake key ${made.fingerprint} (${made.algorithm}, ${made.userIds.join(', ')}) made; its private half is in Key Vault as ${made.secretName}.`);
    out.print('Send this public key to the vendor and ask for seed files encrypted to it:');
    writeOrPrint(out, made.publicKey, options.out, 'Public key');
    return 0;
  }
  const view = await api.json<IntakeKeysView>('GET', '/api/tokens/intake-keys');
  if (action === 'public') {
    if (!view.pgp.configured) throw new ApiError(0, `no intake key yet (Key Vault secret ${view.pgp.secretName}); make one with: oathctl keys generate`);
    writeOrPrint(out, view.pgp.publicKey, options.out, 'Public key');
    return 0;
  }
  if (action !== 'list') throw new UsageError(`unknown keys action "${action}" (list, generate or public)`);
  if (out.json) {
    out.print(JSON.stringify(view, null, 2));
    return 0;
  }
  const rows: string[][] = [];
  rows.push(view.pgp.configured
    ? ['openpgp intake', view.pgp.secretName, `${view.pgp.fingerprint} ${view.pgp.algorithm}`, view.pgp.created]
    : ['openpgp intake', view.pgp.secretName, 'not made yet: oathctl keys generate', '-']);
  for (const signer of view.signers) rows.push(['openpgp signer', signer.userIds.join(', ') || '-', `${signer.fingerprint} ${signer.algorithm}`, signer.created]);
  for (const key of view.pskc) rows.push([`pskc ${key.keyName}`, key.secretName, '-', key.updatedOn ?? '-']);
  out.print(table(['KEY', 'WHERE', 'FINGERPRINT', 'CREATED'], rows));
  if (view.signers.length === 0) out.print('OpenPGP seed files need no signature (SEED_FILE_PGP_SIGNER_KEYS is not set).');
  return 0;
}

function tokenRows(tokens: TokenView[]): string[][] {
  return tokens.map((t) => [t.serialNumber, t.status, t.pool || '-', t.displayName ?? '-', t.userPrincipalName ?? t.employeeId ?? '-', `${t.manufacturer} ${t.model}`, t.updatedAt]);
}
const TOKEN_HEADER = ['SERIAL', 'STATUS', 'POOL', 'NAME', 'HOLDER', 'MODEL', 'UPDATED'];

interface HandoverLine {
  serialNumber: string;
  manufacturer: string;
  model: string;
  employeeId: string | null;
  userPrincipalName: string | null;
  displayName: string | null;
  site: string;
  since: string;
  shipping: string;
  tracking: string | null;
}

interface ReplaceAnswer {
  revoked: { serialNumber: string; status: string };
  replacement: { status: string; eventId: string };
  temporaryAccessPass?: { temporaryAccessPass: string; startDateTime: string; lifetimeInMinutes: number; isUsableOnce: boolean };
}

const HANDOVER_HEADER = ['SITE', 'SERIAL', 'NAME', 'HOLDER', 'EMPLOYEE', 'SINCE', 'SHIPPING', 'TRACKING', 'MODEL'];
const handoverRow = (h: HandoverLine): string[] => [
  h.site || '(shared)',
  h.serialNumber,
  h.displayName ?? '-',
  h.userPrincipalName ?? '-',
  h.employeeId ?? '-',
  h.since,
  h.shipping,
  h.tracking ?? '-',
  `${h.manufacturer} ${h.model}`,
];

/** RFC 4180 quoting; a cell a spreadsheet would run as a formula is prefixed with '. */
const csvCell = (value: string): string => {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

function handoverCsv(handovers: HandoverLine[]): string {
  const rows = handovers.map((h) => [h.site, h.serialNumber, h.displayName ?? '', h.userPrincipalName ?? '', h.employeeId ?? '', h.since, h.shipping, h.tracking ?? '', `${h.manufacturer} ${h.model}`]);
  return [['site', 'serial number', 'name', 'holder', 'employee id', 'since', 'shipping', 'tracking', 'model'], ...rows].map((row) => row.map(csvCell).join(',')).join('\n');
}

interface ProvisioningLine {
  employeeId: string;
  kind: string;
  status: string;
  step: string | null;
  serialNumber: string | null;
  userPrincipalName: string | null;
  displayName: string | null;
  reason: string | null;
  refusal: string | null;
  approvedBy: string | null;
  attempts: number;
  hireDate: string | null;
  terminationDate: string | null;
  location: string | null;
  updatedAt: string;
}

const PROVISIONING_HEADER = ['EMPLOYEE', 'NAME', 'KIND', 'STATUS', 'STEP', 'SERIAL', 'USER', 'ATTEMPTS', 'UPDATED', 'REASON'];
const provisioningRow = (p: ProvisioningLine): string[] => [
  p.employeeId,
  p.displayName ?? '-',
  p.kind,
  p.status,
  p.step ?? '-',
  p.serialNumber ?? '-',
  p.userPrincipalName ?? '-',
  String(p.attempts),
  p.updatedAt,
  [p.refusal ? `refused: ${p.refusal}` : '', p.reason ?? ''].filter(Boolean).join('; ') || '-',
];

/** What to do next about a record, said under it: the commands that move it on. */
function provisioningHint(p: ProvisioningLine): string | undefined {
  if (p.refusal === 'privileged_account' && p.status === 'failed') return `Refused as a privileged account: a Tokens.PrivilegedAdmin may let it go ahead with: oathctl approve ${p.employeeId}`;
  if (p.status === 'failed' || (p.kind === 'leaver' && p.status === 'retrying')) return `Send it through again with: oathctl retry ${p.employeeId}`;
  return undefined;
}

interface AuditLine {
  at: string;
  actor: string;
  caller?: { oid: string; name?: string };
  action: string;
  outcome: string;
  serialNumber?: string;
  employeeId?: string;
  detail?: string;
}

const AGE = /^(\d{1,6})([mhd])$/;
const AGE_UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** --since/--until: an ISO date or date-time as given, or an age (30m, 12h, 7d) counted back from now. */
function timeOption(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  const age = AGE.exec(value);
  if (age) return new Date(Date.now() - Number(age[1]) * AGE_UNIT_MS[age[2] as keyof typeof AGE_UNIT_MS]).toISOString();
  if (Number.isNaN(Date.parse(value))) throw new UsageError(`${flag} must be an ISO date or date-time (2026-12-01, 2026-12-01T08:00Z) or an age such as 30m, 12h, 7d`);
  return value;
}

/** Every page (with --all) or the first one of a paged admin API list. */
async function pages<T>(api: ApiClient, route: string, query: URLSearchParams, field: string, all: boolean): Promise<{ items: T[]; more: boolean }> {
  const items: T[] = [];
  let continuationToken: string | null = null;
  do {
    if (continuationToken) query.set('continuationToken', continuationToken);
    const page: Record<string, unknown> & { continuationToken: string | null } = await api.json('GET', `${route}?${query.toString()}`);
    items.push(...((page[field] as T[] | undefined) ?? []));
    continuationToken = page.continuationToken;
  } while (continuationToken && all);
  return { items, more: continuationToken !== null };
}

async function run(argv: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      scope: { type: 'string' },
      json: { type: 'boolean', default: false },
      rows: { type: 'string' },
      serials: { type: 'string' },
      manufacturer: { type: 'string' },
      model: { type: 'string' },
      interval: { type: 'string' },
      hash: { type: 'string' },
      pool: { type: 'string' },
      out: { type: 'string' },
      status: { type: 'string' },
      user: { type: 'string' },
      reason: { type: 'string' },
      note: { type: 'string' },
      tap: { type: 'boolean', default: false },
      location: { type: 'string' },
      tracking: { type: 'string' },
      csv: { type: 'boolean', default: false },
      serial: { type: 'string' },
      kind: { type: 'string' },
      action: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      all: { type: 'boolean', default: false },
      mode: { type: 'string' },
      report: { type: 'boolean', default: false },
      latest: { type: 'boolean', default: false },
      apply: { type: 'string' },
      'seed-encoding': { type: 'string' },
      'key-name': { type: 'string' },
      'key-type': { type: 'string' },
      format: { type: 'string' },
      name: { type: 'string' },
      email: { type: 'string' },
      type: { type: 'string' },
      replace: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...args] = positionals;
  if (values.help || !command) {
    out.print(USAGE);
    return command || values.help ? 0 : 2;
  }
  out.json = values.json ?? false;
  const token = values.token ?? process.env.OATHCTL_TOKEN;
  const scope = values.scope ?? process.env.OATHCTL_SCOPE;
  const baseUrl = apiRoot(values.url ?? process.env.OATHCTL_URL ?? 'http://127.0.0.1:7071');
  const api = apiClient({
    baseUrl,
    ...(token ? { token } : {}),
    ...(scope ? { scope } : {}),
  });

  switch (command) {
    case 'import': {
      const file = args[0];
      if (!file) throw new UsageError('import needs a FILE');
      const rows = Number(values.rows ?? '1000');
      if (!Number.isInteger(rows) || rows < 1 || rows > 10_000) throw new UsageError('--rows must be a whole number from 1 to 10000');
      const seedEncoding = values['seed-encoding'];
      if (seedEncoding !== undefined && seedEncoding !== 'base32' && seedEncoding !== 'hex') throw new UsageError('--seed-encoding must be base32 or hex');
      return importFile(api, out, file, rows, {
        ...(seedEncoding ? { seedEncoding } : {}),
        ...(values['key-name'] !== undefined ? { keyName: values['key-name'] } : {}),
        ...(values.manufacturer ? { manufacturer: values.manufacturer } : {}),
        ...(values.model ? { model: values.model } : {}),
        ...(values.pool ? { pool: values.pool } : {}),
      });
    }
    case 'seeds': {
      if (!values.serials || !values.manufacturer || !values.model) throw new UsageError('seeds needs --serials, --manufacturer and --model');
      const format = values.format ?? 'csv';
      if (format !== 'csv' && format !== 'pskc') throw new UsageError('--format must be csv or pskc');
      if (format === 'pskc' && !values['key-name']) throw new UsageError('--format pskc needs --key-name (the Key Vault key that encrypts the export)');
      const interval = Number(values.interval ?? '30');
      // Opened before asking: seeds the service generated for a file that then cannot be written are lost.
      const outFile = values.out;
      const fd = outFile === undefined ? undefined : openExclusive(outFile);
      let response: Response;
      try {
        response = await api.request('POST', '/api/tokens/seeds', {
          contentType: 'application/json',
          accept: 'text/csv',
          body: JSON.stringify({
            serials: values.serials.split(',').map((s) => s.trim()).filter(Boolean),
            manufacturer: values.manufacturer,
            model: values.model,
            timeIntervalInSeconds: interval,
            hashFunction: values.hash ?? 'hmacsha1',
            pool: values.pool ?? '',
            ...(format === 'pskc' ? { export: { format, keyName: values['key-name'], ...(values['key-type'] ? { keyType: values['key-type'] } : {}) } } : {}),
          }),
        });
      } catch (error) {
        if (fd !== undefined && outFile !== undefined) {
          closeSync(fd);
          unlinkSync(outFile);
        }
        throw error;
      }
      const csv = await response.text();
      const refused = response.headers.get('x-refused-serials');
      if (fd !== undefined) {
        writeSync(fd, csv);
        closeSync(fd);
        if (format === 'pskc') out.print(`PSKC written to ${outFile} (readable by you only), its seeds encrypted with key ${values['key-name']}. Load it into the programming tool, then delete it.`);
        else out.print(`Seeds written to ${outFile} (readable by you only). They are shown this once: program the tokens, then delete the file.`);
      } else {
        out.print(csv.trimEnd());
      }
      if (refused) out.print(`${refused} serial(s) were refused; see the audit trail.`);
      return refused ? 3 : 0;
    }
    case 'list': {
      const query = new URLSearchParams();
      if (values.status) query.set('status', values.status);
      if (values.pool !== undefined) query.set('pool', values.pool);
      if (values.user) query.set('user', values.user);
      const tokens: TokenView[] = [];
      let continuationToken: string | null = null;
      do {
        if (continuationToken) query.set('continuationToken', continuationToken);
        const page: { tokens: TokenView[]; continuationToken: string | null } = await api.json('GET', `/api/tokens?${query.toString()}`);
        tokens.push(...page.tokens);
        continuationToken = values.all ? page.continuationToken : null;
      } while (continuationToken);
      out.print(out.json ? JSON.stringify(tokens, null, 2) : tokens.length === 0 ? 'No tokens.' : table(TOKEN_HEADER, tokenRows(tokens)));
      return 0;
    }
    case 'export': {
      const what = args[0];
      if (what !== 'tokens' && what !== 'audit') throw new UsageError('export needs tokens or audit');
      const query = new URLSearchParams();
      const filters = what === 'tokens' ? { status: values.status, pool: values.pool, user: values.user } : { serial: values.serial, user: values.user, since: values.since };
      for (const [name, value] of Object.entries(filters)) if (value !== undefined) query.set(name, value);
      const other = what === 'tokens' ? ['serial', 'since'] : ['status', 'pool'];
      const misplaced = other.find((name) => values[name as 'serial' | 'since' | 'status' | 'pool'] !== undefined);
      if (misplaced) throw new UsageError(`--${misplaced} does not filter the ${what} export`);
      const response = await api.request('GET', `/api/${what}/export${query.size > 0 ? `?${query.toString()}` : ''}`, { accept: 'text/csv' });
      if (!response.body) throw new ApiError(response.status, `${response.status}: the export came without a body`);
      if (values.out) {
        const file = values.out;
        const fd = openExclusive(file, 'exports');
        try {
          await pipeline(Readable.fromWeb(response.body), createWriteStream('', { fd }));
        } catch (error) {
          // A broken download leaves no file that looks whole.
          unlinkSync(file);
          throw error;
        }
        out.print(out.json ? JSON.stringify({ file: values.out }) : `The ${what} export was written to ${values.out}.`);
      } else {
        await pipeline(Readable.fromWeb(response.body), process.stdout, { end: false });
      }
      return 0;
    }
    case 'show': {
      const serial = args[0];
      if (!serial) throw new UsageError('show needs a SERIAL');
      const token = await api.json<TokenView>('GET', `/api/tokens/${encodeURIComponent(serial)}`);
      out.print(out.json ? JSON.stringify(token, null, 2) : table(['FIELD', 'VALUE'], Object.entries(token).map(([k, v]) => [k, v === null ? '-' : String(v)])));
      return 0;
    }
    case 'revoke':
    case 'suspend':
    case 'resume': {
      const user = args[0];
      const serial = command === 'revoke' ? values.serial : undefined;
      if (serial !== undefined && user) throw new UsageError('revoke takes a USER or --serial S, not both');
      if (!user && serial === undefined) throw new UsageError(`${command} needs a USER (user principal name or employee id)${command === 'revoke' ? ' or --serial S' : ''}`);
      if (command === 'revoke' && !values.reason) throw new UsageError('revoke needs --reason (lost, stolen, damaged, returned, offboarded or unused)');
      const body = command === 'revoke' ? { reason: values.reason, ...(values.note ? { note: values.note } : {}) } : undefined;
      const route = serial !== undefined ? `/api/tokens/${encodeURIComponent(serial)}/revoke` : `/api/users/${encodeURIComponent(user ?? '')}/token/${command}`;
      const result = await api.json<{ serialNumber: string; status: string; changed: boolean; detail?: string }>('POST', route, body);
      out.print(
        out.json ? JSON.stringify(result, null, 2) : `${result.serialNumber}: ${result.status}${result.changed ? '' : ' (already so; nothing changed)'}${result.detail ? ` (${result.detail})` : ''}`,
      );
      return 0;
    }
    case 'replace': {
      const user = args[0];
      if (!user) throw new UsageError('replace needs a USER (user principal name or employee id)');
      if (!values.reason) throw new UsageError('replace needs --reason (lost, stolen or damaged)');
      const body = { reason: values.reason, ...(values.note ? { note: values.note } : {}), ...(values.tap ? { temporaryAccessPass: true } : {}) };
      const result = await api.json<ReplaceAnswer>('POST', `/api/users/${encodeURIComponent(user)}/token/replace`, body);
      if (out.json) {
        out.print(JSON.stringify(result, null, 2));
        return 0;
      }
      out.print(`${result.revoked.serialNumber}: ${result.revoked.status}; a new token is ${result.replacement.status} (event ${result.replacement.eventId}).`);
      const tap = result.temporaryAccessPass;
      if (tap) out.print(`Temporary Access Pass (shown this once, usable once, ${tap.lifetimeInMinutes} minutes from ${tap.startDateTime}): ${tap.temporaryAccessPass}`);
      return 0;
    }
    case 'provisioning': {
      const employee = args[0];
      if (employee !== undefined) {
        if (values.status !== undefined || values.kind !== undefined) throw new UsageError('provisioning EMPLOYEE shows that one employee; --status and --kind filter the list (without EMPLOYEE)');
        const found = await api.json<{ employeeId: string; joiner: ProvisioningLine | null; leaver: ProvisioningLine | null }>('GET', `/api/provisioning/${encodeURIComponent(employee)}`);
        if (out.json) {
          out.print(JSON.stringify(found, null, 2));
          return 0;
        }
        const records = [found.joiner, found.leaver].filter((r): r is ProvisioningLine => r !== null);
        out.print(table(PROVISIONING_HEADER, records.map(provisioningRow)));
        for (const record of records) {
          const hint = provisioningHint(record);
          if (hint) out.print(hint);
        }
        return 0;
      }
      if (values.kind !== undefined && values.kind !== 'joiner' && values.kind !== 'leaver') throw new UsageError('--kind must be joiner or leaver');
      const query = new URLSearchParams();
      if (values.status) query.set('status', values.status);
      if (values.kind) query.set('kind', values.kind);
      const { items, more } = await pages<ProvisioningLine>(api, '/api/provisioning', query, 'records', values.all ?? false);
      if (out.json) out.print(JSON.stringify(items, null, 2));
      else out.print(items.length === 0 ? 'No provisioning work.' : table(PROVISIONING_HEADER, items.map(provisioningRow)));
      if (more && !out.json) out.print('(the first page; --all for every page)');
      return 0;
    }
    case 'retry':
    case 'approve': {
      const employee = args[0];
      if (!employee) throw new UsageError(`${command} needs an EMPLOYEE id`);
      const result = await api.json<{ employeeId: string; kind?: string; status: string; eventId?: string; approvedBy?: string | null }>('POST', `/api/provisioning/${encodeURIComponent(employee)}/${command}`, {});
      if (out.json) out.print(JSON.stringify(result, null, 2));
      else if (command === 'retry') out.print(`${result.employeeId}: ${result.kind ?? 'work'} ${result.status} again (event ${result.eventId ?? '-'}). Follow it with: oathctl provisioning ${result.employeeId}`);
      else out.print(`${result.employeeId}: approved${result.approvedBy ? ` by ${result.approvedBy}` : ''}; the hire is ${result.status}. Follow it with: oathctl provisioning ${result.employeeId}`);
      return 0;
    }
    case 'audit': {
      const query = new URLSearchParams();
      if (values.serial) query.set('serial', values.serial);
      if (values.user) query.set('user', values.user);
      if (values.action) query.set('action', values.action);
      const since = timeOption(values.since, '--since');
      const until = timeOption(values.until, '--until');
      if (since) query.set('since', since);
      if (until) query.set('until', until);
      if (!values.serial && !values.user && !values.action && !since) throw new UsageError('audit needs at least one of --serial, --user, --action or --since');
      const { items, more } = await pages<AuditLine>(api, '/api/audit', query, 'entries', values.all ?? false);
      if (out.json) out.print(JSON.stringify(items, null, 2));
      else {
        out.print(
          items.length === 0
            ? 'No audit entries.'
            : table(['AT', 'ACTION', 'OUTCOME', 'SERIAL', 'EMPLOYEE', 'BY', 'DETAIL'], items.map((e) => [e.at, e.action, e.outcome, e.serialNumber ?? '-', e.employeeId ?? '-', e.caller?.name ?? e.actor, e.detail ?? '-'])),
        );
        if (more) out.print('(the first page; --all for every page)');
      }
      return 0;
    }
    case 'handovers': {
      const query = new URLSearchParams();
      if (values.location) query.set('location', values.location);
      if (values.status) query.set('status', values.status);
      const { handovers } = await api.json<{ handovers: HandoverLine[] }>('GET', `/api/handovers${query.size > 0 ? `?${query.toString()}` : ''}`);
      if (out.json) out.print(JSON.stringify(handovers, null, 2));
      else if (values.csv) out.print(handoverCsv(handovers));
      else out.print(handovers.length === 0 ? 'Nothing awaits hand-over.' : table(HANDOVER_HEADER, handovers.map(handoverRow)));
      return 0;
    }
    case 'ship': {
      const serial = args[0];
      if (!serial) throw new UsageError('ship needs a SERIAL');
      if (values.status !== 'shipped' && values.status !== 'delivered') throw new UsageError('ship needs --status shipped or --status delivered');
      const result = await api.json<{ serialNumber: string; shipping: string; tracking: string | null; changed: boolean }>('POST', `/api/tokens/${encodeURIComponent(serial)}/shipment`, {
        status: values.status,
        ...(values.tracking ? { tracking: values.tracking } : {}),
      });
      out.print(out.json ? JSON.stringify(result, null, 2) : `${result.serialNumber}: ${result.shipping}${result.tracking ? ` (${result.tracking})` : ''}${result.changed ? '' : ' (already so; nothing changed)'}`);
      return 0;
    }
    case 'handover': {
      const [serial, code] = args;
      if (!serial || !code) throw new UsageError('handover needs a SERIAL and the CODE the token shows');
      if (!/^\d{6}$/.test(code)) throw new UsageError('CODE must be the 6 digits the token shows');
      const result = await api.json<{ serialNumber: string; userPrincipalName: string | null; displayName?: string | null; driftSteps: number }>('POST', `/api/tokens/${encodeURIComponent(serial)}/handover`, { code });
      const holder = result.displayName ? `${result.displayName}${result.userPrincipalName ? ` (${result.userPrincipalName})` : ''}` : (result.userPrincipalName ?? 'its holder');
      out.print(out.json ? JSON.stringify(result, null, 2) : `${result.serialNumber}: handed over to ${holder} and active; its clock is off by ${result.driftSteps} steps.`);
      return 0;
    }
    case 'keys':
      return keys(api, out, args[0] ?? 'list', {
        ...(values.name ? { name: values.name } : {}),
        ...(values.email ? { email: values.email } : {}),
        ...(values.type ? { type: values.type } : {}),
        replace: values.replace ?? false,
        ...(values.out ? { out: values.out } : {}),
      });
    case 'reconcile':
      return reconcile(api, out, { mode: values.mode, report: values.report ?? false, latest: values.latest ?? false, apply: values.apply });
    case 'health': {
      // With a token, health names each dependency; without one, only the status.
      const response = await api.probe('/api/health');
      const body = (await response.json()) as { status?: unknown; dependencies?: { name: string; ok: boolean; reason?: string }[]; detail?: string };
      if (out.json) out.print(JSON.stringify(body, null, 2));
      else out.print(table(['DEPENDENCY', 'STATE'], (body.dependencies ?? []).map((d) => [d.name, d.ok ? 'ok' : `failing: ${d.reason ?? ''}`])) || (body.detail ?? (typeof body.status === 'string' ? body.status : String(response.status))));
      return response.ok ? 0 : 1;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

export async function main(argv: string[]): Promise<number> {
  const out: Out = {
    json: false,
    print: (text) => process.stdout.write(`${printable(text)}\n`),
    progress: process.stderr.isTTY ? progressBar(process.stderr) : () => undefined,
    dot: (text) => process.stderr.write(text),
  };
  try {
    return await run(argv, out);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`oathctl: ${printable((error as Error).message)}\nRun "oathctl --help" for usage.\n`);
      return 2;
    }
    if (error instanceof ApiError) {
      process.stderr.write(`oathctl: ${printable(error.message)}\n`);
      return 1;
    }
    process.stderr.write(`oathctl: ${printable((error as Error).message)}\n`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
