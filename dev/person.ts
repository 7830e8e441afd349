import { existsSync, readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { graphEmulatorControl, GraphEmulatorControlError, type GraphUser } from './graph/control';
import { ROLE_TEMPLATE_NAMES } from './graph/directoryRoles';
import { DEV_IDENTITY_PORT } from './identity/server';
import { postJsonTrusting, requestText } from './net';
import { DEFAULT_PORTS } from './stack';
import { DEV_CA_DIR } from './tls';

/**
 * `npm run dev:person -- --upn ada@contoso.com --employee-id E2001 [--name "Ada L"] [--role "Global Administrator"] [--group "Tier 0"]`:
 * adds a person to the running Graph emulator (its control API), then gives them directory roles and
 * group memberships with the standard Graph v1.0 calls a tenant administrator's tool makes.
 */

export const GRAPH_AUDIENCE = 'https://graph.microsoft.com';
/** What a tenant administrator's tool holds to set up roles and groups (not the app's own permissions). */
const TENANT_ADMIN_PERMISSIONS = ['Directory.Read.All', 'RoleManagement.ReadWrite.Directory', 'Group.ReadWrite.All', 'GroupMember.ReadWrite.All', 'User.ReadWrite.All'];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const USAGE = `usage: npm run dev:person -- --upn UPN [--name "Display Name"] [--employee-id ID] [--location SITE]
                             [--role ROLE]... [--eligible-role ROLE]... [--group NAME]... [--guest] [--disabled]
  --role           a directory role assigned now: its name (${Object.values(ROLE_TEMPLATE_NAMES).map((n) => `"${n}"`).join(', ')}) or template id
  --eligible-role  a role the person may activate through PIM (eligible only)
  --group          a security group by display name (made when it does not exist yet) or id
  --graph URL      the Graph emulator, default https://127.0.0.1:${DEFAULT_PORTS.graph}; --identity URL the dev identity,
                   default https://127.0.0.1:${DEV_IDENTITY_PORT}`;

export class PersonError extends Error {}

export interface PersonRequest {
  userPrincipalName: string;
  displayName: string;
  employeeId?: string;
  officeLocation?: string;
  guest?: boolean;
  disabled?: boolean;
  roles: string[];
  eligibleRoles: string[];
  groups: string[];
}

export interface StackAddresses {
  graphUrl: string;
  identityUrl: string;
  /** The dev CA certificate (PEM). */
  caPem: string;
}

/** A role's template id from its name (any case) or its id. */
export function roleTemplateId(role: string): string {
  if (GUID.test(role)) return role.toLowerCase();
  const found = Object.entries(ROLE_TEMPLATE_NAMES).find(([, name]) => name.toLowerCase() === role.trim().toLowerCase());
  if (!found) throw new PersonError(`unknown role "${role}": name one of ${Object.values(ROLE_TEMPLATE_NAMES).join(', ')}, or give its template id`);
  return found[0];
}

async function tenantAdminToken(addresses: StackAddresses): Promise<string> {
  const identity = addresses.identityUrl.replace(/\/+$/, '');
  const answer = await postJsonTrusting(`${identity}/_dev/token`, { audience: GRAPH_AUDIENCE, roles: TENANT_ADMIN_PERMISSIONS, name: 'npm run dev:person' }, addresses.caPem).catch((error: unknown) => {
    throw new PersonError(`the dev identity does not answer at ${identity} (${(error as Error).message}); start the stack with npm start`);
  });
  const parsed = JSON.parse(answer.text) as { access_token?: unknown };
  if (answer.status !== 200 || typeof parsed.access_token !== 'string') throw new PersonError(`the dev identity refused a token (HTTP ${answer.status})`);
  return parsed.access_token;
}

/** Adds the person and their roles and groups; answers the user as Graph shows it, with what was done. */
export async function addPerson(person: PersonRequest, addresses: StackAddresses): Promise<{ user: GraphUser; done: string[] }> {
  const roleIds = person.roles.map(roleTemplateId);
  const eligibleIds = person.eligibleRoles.map(roleTemplateId);
  const control = graphEmulatorControl(addresses.graphUrl, { caCertPem: addresses.caPem });
  let user: GraphUser;
  try {
    [user] = (await control.seedUsers([
      {
        displayName: person.displayName,
        userPrincipalName: person.userPrincipalName,
        ...(person.employeeId ? { employeeId: person.employeeId } : {}),
        ...(person.officeLocation ? { officeLocation: person.officeLocation } : {}),
        ...(person.guest ? { userType: 'Guest' as const } : {}),
        ...(person.disabled ? { accountEnabled: false } : {}),
      },
    ])) as [GraphUser];
  } catch (error) {
    if (error instanceof GraphEmulatorControlError) throw new PersonError(`the Graph emulator refused the person: ${error.message}`);
    throw new PersonError(`the Graph emulator does not answer at ${addresses.graphUrl} (${(error as Error).message}); start the stack with npm start`);
  }
  const done = [`added ${person.displayName} <${person.userPrincipalName}>${person.employeeId ? `, employeeId ${person.employeeId}` : ''}, object id ${user.id}`];
  if (roleIds.length + eligibleIds.length + person.groups.length === 0) return { user, done };

  const token = await tenantAdminToken(addresses);
  const ca = [...rootCertificates, addresses.caPem];
  const graph = async (method: string, route: string, body?: unknown): Promise<Record<string, unknown>> => {
    const answer = await requestText(method, `${addresses.graphUrl.replace(/\/+$/, '')}/v1.0${route}`, body, ca, { authorization: `Bearer ${token}` });
    if (answer.status >= 400) throw new PersonError(`Graph ${method} ${route} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
    return answer.text === '' ? {} : (JSON.parse(answer.text) as Record<string, unknown>);
  };

  for (const roleDefinitionId of roleIds) {
    await graph('POST', '/roleManagement/directory/roleAssignments', { '@odata.type': '#microsoft.graph.unifiedRoleAssignment', roleDefinitionId, principalId: user.id, directoryScopeId: '/' });
    done.push(`assigned the role ${ROLE_TEMPLATE_NAMES[roleDefinitionId] ?? roleDefinitionId}`);
  }
  for (const roleDefinitionId of eligibleIds) {
    await graph('POST', '/roleManagement/directory/roleEligibilityScheduleRequests', {
      action: 'adminAssign',
      justification: 'npm run dev:person',
      roleDefinitionId,
      directoryScopeId: '/',
      principalId: user.id,
      scheduleInfo: { startDateTime: new Date().toISOString(), expiration: { type: 'NoExpiration' } },
    });
    done.push(`made eligible for the role ${ROLE_TEMPLATE_NAMES[roleDefinitionId] ?? roleDefinitionId}`);
  }
  for (const group of person.groups) {
    let groupId = GUID.test(group) ? group : undefined;
    let made = false;
    if (!groupId) {
      const found = (await graph('GET', `/groups?$filter=${encodeURIComponent(`displayName eq '${group.replace(/'/g, "''")}'`)}`)).value as { id: string }[] | undefined;
      groupId = found?.[0]?.id;
    }
    if (!groupId) {
      groupId = String((await graph('POST', '/groups', { displayName: group, mailEnabled: false, mailNickname: group.replace(/[^A-Za-z0-9]/g, '') || 'group', securityEnabled: true })).id);
      made = true;
    }
    await graph('POST', `/groups/${groupId}/members/$ref`, { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${user.id}` });
    done.push(`added to the group ${group}${made ? ` (made now, id ${groupId})` : ` (${groupId})`}`);
  }
  return { user, done };
}

function devCaPem(): string {
  const file = path.join(DEV_CA_DIR, 'ca.pem');
  if (!existsSync(file)) throw new PersonError(`the dev CA is missing (${file}); start the local stack first with npm start`);
  return readFileSync(file, 'utf8');
}

export function parsePersonArgs(argv: string[]): { person: PersonRequest; graphUrl: string; identityUrl: string } | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      upn: { type: 'string' },
      name: { type: 'string' },
      'employee-id': { type: 'string' },
      location: { type: 'string' },
      role: { type: 'string', multiple: true },
      'eligible-role': { type: 'string', multiple: true },
      group: { type: 'string', multiple: true },
      guest: { type: 'boolean', default: false },
      disabled: { type: 'boolean', default: false },
      graph: { type: 'string' },
      identity: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const upn = values.upn?.trim();
  if (!upn || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(upn)) throw new PersonError('--upn must be a user principal name such as ada@contoso.com');
  const employeeId = values['employee-id'];
  if (employeeId !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(employeeId)) throw new PersonError('--employee-id must be 1-64 characters of A-Z, a-z, 0-9, ".", "_" or "-"');
  const person: PersonRequest = {
    userPrincipalName: upn,
    displayName: values.name?.trim() || upn.split('@')[0] || upn,
    ...(employeeId ? { employeeId } : {}),
    ...(values.location ? { officeLocation: values.location } : {}),
    guest: values.guest ?? false,
    disabled: values.disabled ?? false,
    roles: values.role ?? [],
    eligibleRoles: values['eligible-role'] ?? [],
    groups: values.group ?? [],
  };
  // Checked before anything is written, so a typo adds nobody.
  [...person.roles, ...person.eligibleRoles].forEach(roleTemplateId);
  return {
    person,
    graphUrl: values.graph ?? `https://127.0.0.1:${DEFAULT_PORTS.graph}`,
    identityUrl: values.identity ?? `https://127.0.0.1:${DEV_IDENTITY_PORT}`,
  };
}

async function main(): Promise<void> {
  const parsed = parsePersonArgs(process.argv.slice(2));
  if (parsed === 'help') {
    console.log(USAGE);
    return;
  }
  const { done } = await addPerson(parsed.person, { graphUrl: parsed.graphUrl, identityUrl: parsed.identityUrl, caPem: devCaPem() });
  for (const line of done) console.log(line);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    const known = error instanceof PersonError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`dev:person: ${known ? (error as Error).message : String(error)}\n`);
    process.exit(1);
  });
}
