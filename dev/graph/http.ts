import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { type TokenVerifier, bearerToken } from './auth';
import { GraphApiError, badRequest, codeForStatus } from './errors';
import { type FaultInjector, type RequestStats, parseFaultSettings } from './faults';
import {
  isObject,
  parseCreateUser,
  parseDeviceChanges,
  parseDeviceReference,
  parseNewDevice,
  parseSeedUser,
  parseUserChanges,
  parseVerificationCode,
  requireObject,
} from './inputs';
import { decodeSkipToken, encodeSkipToken, parseEqualityFilter, parseSelect, parseTop, project } from './odata';
import { directoryRoleRoute, directoryRolesOf } from './directoryRoles';
import type { GraphStore, ListQuery, Page } from './store';
import { directoryRoute, handleDirectoryControl } from './directoryRoutes';
import { READ_USERS, methodNotAllowed, type ApiRequest, type Reply, type Route } from './routes';
import type { HardwareOathDevice, SignInRequest } from './types';
import { permissionsFor } from './permissions';
import type { DocumentedThrottle } from './throttle';
import { deviceItem, parseVariants } from './variants';
import { readBodyText } from '../net';

/** Bulk bodies (a `#$delta` of 100k tokens is ~25 MB) must fit; anything larger is refused. */
const MAX_BODY_BYTES = 128 * 1024 * 1024;
const JSON_CONTENT_TYPE = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

export interface GraphHttpContext {
  store: GraphStore;
  faults: FaultInjector;
  /** Graph's documented limits, as the `throttle` variant selects them. */
  throttle: DocumentedThrottle;
  stats: RequestStats;
  verifyToken: TokenVerifier;
  /** When true, app tokens must carry a `roles` claim with a permission that covers the route. */
  enforceRoles: boolean;
}

const WRITE_USERS = permissionsFor('writeUsers');
const READ_DEVICES = permissionsFor('readDevices');
const WRITE_DEVICES = permissionsFor('writeDevices');
const READ_METHODS = permissionsFor('readMethods');
const WRITE_METHODS = permissionsFor('writeMethods');
const RESTORE_USERS = permissionsFor('restoreDeletedUsers');

function graphError(code: string, message: string, requestId: string): unknown {
  return { error: { code, message, innerError: { 'request-id': requestId, 'client-request-id': requestId, date: new Date().toISOString() } } };
}

function send(response: ServerResponse, reply: Reply, extraHeaders: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries(extraHeaders)) response.setHeader(name, value);
  if (reply.body === undefined || reply.status === 204) {
    response.writeHead(reply.status).end();
    return;
  }
  const payload = JSON.stringify(reply.body);
  response.writeHead(reply.status, { 'Content-Type': JSON_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(payload) }).end(payload);
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const text = await readBodyText(request, MAX_BODY_BYTES, () => new GraphApiError(413, 'RequestEntityTooLarge', 'The request body is too large.'));
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest('Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.', 'BadRequest');
  }
}

/** OData system query options, whatever their case ($skipToken and $skiptoken both occur). */
function queryOption(url: URL, name: string): string | null {
  for (const [key, value] of url.searchParams) if (key.toLowerCase() === name) return value;
  return null;
}

function listQuery(url: URL, collection: string): ListQuery & { select: string[] | undefined } {
  const filter = queryOption(url, '$filter');
  const skipToken = queryOption(url, '$skiptoken');
  return {
    filter: filter === null ? [] : parseEqualityFilter(filter),
    top: parseTop(queryOption(url, '$top')),
    ...(skipToken === null ? {} : { after: decodeSkipToken(collection, skipToken) }),
    select: parseSelect(queryOption(url, '$select')),
  };
}

/** A collection answer, with a nextLink that repeats the query and adds an opaque $skiptoken. */
function collectionReply<T extends object>(
  request: ApiRequest,
  contextPath: string,
  collection: string,
  page: Page<T>,
  select: string[] | undefined,
): Reply {
  const body: Record<string, unknown> = {
    '@odata.context': `${request.origin}/${request.version}/$metadata#${contextPath}`,
  };
  if (page.continueAfter !== undefined) {
    const query = [...request.url.searchParams.entries()]
      .filter(([name]) => name.toLowerCase() !== '$skiptoken')
      .map(([name, value]) => `${name}=${encodeURIComponent(value)}`);
    query.push(`$skiptoken=${encodeSkipToken(collection, page.continueAfter)}`);
    body['@odata.nextLink'] = `${request.origin}${request.url.pathname}?${query.join('&')}`;
  }
  body.value = page.items.map((item) => project(item, select));
  return { status: 200, body };
}

const DEVICES_CONTEXT = 'directory/authenticationMethodDevices/hardwareOathDevices';

function userRoutes(store: GraphStore, rest: string[], method: string): Route | undefined {
  const [ref, authentication, methods, methodId, action, ...extra] = rest;
  if (ref === undefined) {
    if (method === 'GET') {
      return {
        kind: 'users',
        permissions: READ_USERS,
        handle: (request) => {
          const query = listQuery(request.url, 'users');
          return collectionReply(request, 'users', 'users', store.listUsers(query), query.select);
        },
      };
    }
    if (method === 'POST') {
      return {
        kind: 'users',
        permissions: WRITE_USERS,
        handle: async (request) => {
          const [user] = store.addUsers([parseCreateUser(await request.readBody())]);
          return { status: 201, body: { '@odata.context': `${request.origin}/${request.version}/$metadata#users/$entity`, ...user } };
        },
      };
    }
    return methodNotAllowed('users');
  }
  if (authentication === undefined) {
    if (method === 'GET') {
      return {
        kind: 'user',
        permissions: READ_USERS,
        handle: (request) => ({
          status: 200,
          body: {
            '@odata.context': `${request.origin}/${request.version}/$metadata#users/$entity`,
            ...project(store.getUser(ref), parseSelect(queryOption(request.url, '$select'))),
          },
        }),
      };
    }
    if (method === 'PATCH') {
      return {
        kind: 'user',
        permissions: WRITE_USERS,
        handle: async (request) => {
          store.updateUser(ref, parseUserChanges(await request.readBody()));
          return { status: 204 };
        },
      };
    }
    if (method === 'DELETE') {
      return {
        kind: 'user',
        permissions: WRITE_USERS,
        handle: () => {
          store.deleteUser(ref);
          return { status: 204 };
        },
      };
    }
    return methodNotAllowed('user');
  }
  if (methods === undefined && (authentication.toLowerCase() === 'manager' || authentication.toLowerCase() === 'sendmail')) return mailboxRoutes(store, ref, authentication.toLowerCase(), method);
  if (authentication.toLowerCase() === 'authentication' && methods?.toLowerCase() === 'temporaryaccesspassmethods' && methodId === undefined && extra.length === 0) {
    return accessPassRoutes(store, ref, method);
  }
  if (authentication.toLowerCase() !== 'authentication' || methods?.toLowerCase() !== 'hardwareoathmethods' || extra.length > 0) {
    return undefined;
  }
  return methodRoutes(store, ref, methodId, action, method);
}

/** /users/{id}/manager and /users/{id}/sendMail, in v1.0 and beta alike. */
function mailboxRoutes(store: GraphStore, user: string, segment: string, method: string): Route {
  if (segment === 'manager') {
    if (method !== 'GET') return methodNotAllowed('manager');
    return {
      kind: 'manager',
      permissions: READ_USERS,
      handle: (request) => ({
        status: 200,
        body: { '@odata.context': `${request.origin}/${request.version}/$metadata#directoryObjects/$entity`, '@odata.type': '#microsoft.graph.user', ...project(store.managerOf(user), parseSelect(queryOption(request.url, '$select'))) },
      }),
    };
  }
  if (method !== 'POST') return methodNotAllowed('sendMail');
  return {
    kind: 'sendMail',
    permissions: permissionsFor('sendMail'),
    handle: async (request) => {
      const body = requireObject(await request.readBody(), 'The request body');
      const message = requireObject(body.message, 'message');
      const content = isObject(message.body) ? message.body : {};
      const recipients = Array.isArray(message.toRecipients) ? (message.toRecipients as unknown[]) : [];
      const to = recipients.map((recipient) => {
        const address = isObject(recipient) && isObject(recipient.emailAddress) ? recipient.emailAddress.address : undefined;
        if (typeof address !== 'string' || !address.includes('@')) throw badRequest('Each recipient needs emailAddress.address.', 'ErrorInvalidRecipients');
        return address;
      });
      store.sendMail(user, {
        to,
        subject: typeof message.subject === 'string' ? message.subject : '',
        contentType: typeof content.contentType === 'string' ? content.contentType : 'Text',
        content: typeof content.content === 'string' ? content.content : '',
      });
      return { status: 202 };
    },
  };
}

/** /users/{id}/authentication/temporaryAccessPassMethods, in v1.0 and beta alike. */
function accessPassRoutes(store: GraphStore, user: string, method: string): Route {
  const context = (request: ApiRequest): string =>
    `${request.origin}/${request.version}/$metadata#users('${encodeURIComponent(user)}')/authentication/temporaryAccessPassMethods`;
  if (method === 'GET') {
    return { kind: 'accessPasses', permissions: permissionsFor('readAccessPasses'), handle: (request) => ({ status: 200, body: { '@odata.context': context(request), value: store.listAccessPasses(user) } }) };
  }
  if (method === 'POST') {
    return {
      kind: 'accessPasses',
      permissions: permissionsFor('writeAccessPasses'),
      handle: async (request) => {
        const body = requireObject(await request.readBody() ?? {}, 'The request body');
        if (body.lifetimeInMinutes !== undefined && typeof body.lifetimeInMinutes !== 'number') throw badRequest('lifetimeInMinutes must be a number.');
        if (body.isUsableOnce !== undefined && typeof body.isUsableOnce !== 'boolean') throw badRequest('isUsableOnce must be a boolean.');
        if (body.startDateTime !== undefined && typeof body.startDateTime !== 'string') throw badRequest('startDateTime must be a date and time.');
        const created = store.createAccessPass(user, {
          ...(body.lifetimeInMinutes !== undefined ? { lifetimeInMinutes: body.lifetimeInMinutes } : {}),
          ...(body.isUsableOnce !== undefined ? { isUsableOnce: body.isUsableOnce } : {}),
          ...(body.startDateTime !== undefined ? { startDateTime: body.startDateTime } : {}),
        });
        return { status: 201, body: { '@odata.context': `${context(request)}/$entity`, ...created } };
      },
    };
  }
  return methodNotAllowed('accessPasses');
}

/** Bound actions may be addressed with or without the `microsoft.graph.` namespace. */
const actionName = (segment: string | undefined): string | undefined => segment?.toLowerCase().replace(/^microsoft\.graph\./, '');

function methodRoutes(store: GraphStore, user: string, methodId: string | undefined, action: string | undefined, method: string): Route | undefined {
  const methodsContext = (request: ApiRequest): string =>
    `${request.origin}/${request.version}/$metadata#users('${encodeURIComponent(user)}')/authentication/hardwareOathMethods`;
  if (methodId === undefined) {
    if (method === 'GET') {
      return {
        kind: 'methods',
        permissions: READ_METHODS,
        handle: (request) => ({ status: 200, body: { '@odata.context': methodsContext(request), value: store.listMethods(user) } }),
      };
    }
    if (method === 'POST') {
      return {
        kind: 'methods',
        permissions: WRITE_METHODS,
        handle: async (request) => {
          const body = requireObject(await request.readBody(), 'The request body');
          const created = store.assign(user, parseDeviceReference(body.device));
          return { status: 201, body: { '@odata.context': `${methodsContext(request)}/$entity`, ...created } };
        },
      };
    }
    return methodNotAllowed('methods');
  }
  const collectionAction = action === undefined ? actionName(methodId) : undefined;
  if (collectionAction === 'assignandactivate' || collectionAction === 'assignandactivatebyserialnumber') {
    const kind = collectionAction === 'assignandactivate' ? 'methods.assignAndActivate' : 'methods.assignAndActivateBySerialNumber';
    if (method !== 'POST') return methodNotAllowed(kind);
    return {
      kind,
      permissions: WRITE_METHODS,
      handle: async (request) => {
        const body = requireObject(await request.readBody(), 'The request body');
        const code = parseVerificationCode(body.verificationCode);
        if (collectionAction === 'assignandactivate') {
          store.assignAndActivate(user, parseDeviceReference(body.device), code);
        } else {
          if (typeof body.serialNumber !== 'string' || body.serialNumber === '') throw badRequest('serialNumber is required.');
          store.assignAndActivateBySerialNumber(user, body.serialNumber, code);
        }
        return { status: 204 };
      },
    };
  }
  if (action === undefined) {
    if (method === 'GET') {
      return {
        kind: 'method',
        permissions: READ_METHODS,
        handle: (request) => ({
          status: 200,
          body: { '@odata.context': `${methodsContext(request)}/$entity`, ...store.getMethod(user, methodId) },
        }),
      };
    }
    if (method === 'DELETE') {
      return {
        kind: 'method',
        permissions: WRITE_METHODS,
        handle: () => {
          store.unassign(user, methodId);
          return { status: 204 };
        },
      };
    }
    return methodNotAllowed('method');
  }
  const bound = actionName(action);
  if (bound === 'activate') {
    if (method !== 'POST') return methodNotAllowed('method.activate');
    return {
      kind: 'method.activate',
      permissions: WRITE_METHODS,
      handle: async (request) => {
        const body = requireObject(await request.readBody(), 'The request body');
        store.activate(user, methodId, parseVerificationCode(body.verificationCode));
        return { status: 204 };
      },
    };
  }
  if (bound === 'deactivate') {
    if (method !== 'POST') return methodNotAllowed('method.deactivate');
    return {
      kind: 'method.deactivate',
      permissions: WRITE_METHODS,
      handle: () => {
        store.deactivate(user, methodId);
        return { status: 204 };
      },
    };
  }
  return undefined;
}

function deviceRoutes(store: GraphStore, rest: string[], method: string): Route | undefined {
  const [id, ...extra] = rest;
  if (extra.length > 0) return undefined;
  if (id === undefined) {
    if (method === 'GET') {
      return {
        kind: 'devices',
        permissions: READ_DEVICES,
        handle: (request) => {
          const query = listQuery(request.url, 'devices');
          const page = store.listDevices(query);
          const shape = store.variants.list;
          // $select applies to the device; a nested item wraps the selected device.
          const items = page.items.map((device) => deviceItem(project(device, query.select) as HardwareOathDevice, shape));
          return collectionReply(request, DEVICES_CONTEXT, 'devices', { ...page, items }, undefined);
        },
      };
    }
    if (method === 'POST') {
      return {
        kind: 'devices',
        permissions: WRITE_DEVICES,
        handle: async (request) => {
          const [device] = store.createDevices([parseNewDevice(await request.readBody())]);
          return { status: 201, body: { '@odata.context': `${request.origin}/${request.version}/$metadata#${DEVICES_CONTEXT}/$entity`, ...device } };
        },
      };
    }
    if (method === 'PATCH') {
      return {
        kind: 'devices.delta',
        permissions: WRITE_DEVICES,
        handle: async (request) => {
          const body = requireObject(await request.readBody(), 'The request body');
          if (body['@context'] !== '#$delta' || !Array.isArray(body.value)) {
            throw badRequest('A bulk create needs {"@context":"#$delta","value":[...]}.', 'BadRequest');
          }
          const items: unknown[] = body.value;
          const { delta } = store.variants;
          let created: HardwareOathDevice[];
          if (delta === 'partial') {
            // Applied item by item, and stopped midway: at the first item refused (its refusal is the answer),
            // else after the first half (a 500); the items before stay created.
            const half = Math.ceil(items.length / 2);
            created = [];
            for (const item of items) {
              if (items.length > 1 && created.length === half) throw new GraphApiError(500, 'generalException', 'The batch was interrupted.');
              created.push(...store.createDevices([parseNewDevice(item)]));
            }
          } else {
            created = store.createDevices(items.map((item) => parseNewDevice(item)));
          }
          if (delta === 'empty204') return { status: 204 };
          const context = `${request.origin}/${request.version}/$metadata#${DEVICES_CONTEXT}/$delta`;
          if (delta === 'nested201') return { status: 201, body: { value: created.map((device) => deviceItem(device, 'nested')) } };
          const value = created.map((device, index) => {
            const item = items[index];
            const contentId = isObject(item) ? item['@contentId'] : undefined;
            return contentId === undefined ? device : { '@contentId': contentId, ...device };
          });
          return { status: 200, body: { '@odata.context': context, value } };
        },
      };
    }
    return methodNotAllowed('devices');
  }
  if (method === 'GET') {
    return {
      kind: 'device',
      permissions: READ_DEVICES,
      handle: (request) => ({
        status: 200,
        body: {
          '@odata.context': `${request.origin}/${request.version}/$metadata#${DEVICES_CONTEXT}/$entity`,
          ...deviceItem(project(store.getDevice(id), parseSelect(queryOption(request.url, '$select'))) as HardwareOathDevice, store.variants.list),
        },
      }),
    };
  }
  if (method === 'PATCH') {
    return {
      kind: 'device',
      permissions: WRITE_DEVICES,
      handle: async (request) => {
        store.updateDevice(id, parseDeviceChanges(await request.readBody()));
        return { status: 204 };
      },
    };
  }
  if (method === 'DELETE') {
    return {
      kind: 'device',
      permissions: WRITE_DEVICES,
      handle: () => {
        store.deleteDevice(id);
        return { status: 204 };
      },
    };
  }
  return methodNotAllowed('device');
}

function unknownSegment(segment: string): Route {
  return {
    kind: 'unknown',
    permissions: [],
    handle: () => {
      throw badRequest(`Resource not found for the segment '${segment}'.`, 'BadRequest');
    },
  };
}

/** Finds the route for /{version}/...; the hardware OATH APIs exist in beta only. */
function findRoute(store: GraphStore, version: string, segments: string[], method: string): Route {
  const [first, ...rest] = segments;
  const head = first?.toLowerCase();
  const directory = directoryRoute(store, segments, method);
  if (directory) return directory;
  const rolesRoute = directoryRoleRoute(directoryRolesOf(store), segments, method);
  if (rolesRoute) return { ...rolesRoute, permissions: [...rolesRoute.permissions] };
  if (head === 'users') {
    const route = userRoutes(store, rest, method);
    if (route && version !== 'beta' && route.kind !== 'users' && route.kind !== 'user' && route.kind !== 'accessPasses' && route.kind !== 'manager' && route.kind !== 'sendMail') return unknownSegment('hardwareOathMethods');
    return route ?? unknownSegment(rest[rest.length - 1] ?? 'users');
  }
  if (head === 'directory' && rest[0]?.toLowerCase() === 'deleteditems' && rest.length === 3 && actionName(rest[2]) === 'restore') {
    // directory-deleteditems-restore.md: 200 with the directoryObject; users are the only kind kept here.
    if (method !== 'POST') return methodNotAllowed('deletedItem.restore');
    const id = rest[1] ?? '';
    return {
      kind: 'deletedItem.restore',
      permissions: RESTORE_USERS,
      handle: async (request) => {
        const raw = (await request.readBody()) ?? {};
        const body = requireObject(raw, 'The request body');
        if (body.newUserPrincipalName !== undefined && typeof body.newUserPrincipalName !== 'string') throw badRequest('newUserPrincipalName must be a string.', 'BadRequest');
        if (body.autoReconcileProxyConflict !== undefined && typeof body.autoReconcileProxyConflict !== 'boolean') throw badRequest('autoReconcileProxyConflict must be a boolean.', 'BadRequest');
        const user = store.restoreUser(id, body.newUserPrincipalName === undefined ? {} : { newUserPrincipalName: body.newUserPrincipalName });
        return { status: 200, body: { '@odata.context': `${request.origin}/${request.version}/$metadata#directoryObjects/$entity`, '@odata.type': '#microsoft.graph.user', ...user } };
      },
    };
  }
  if (head === 'directory' && rest[0]?.toLowerCase() === 'deleteditems' && rest.length === 2) {
    // The OData cast is required (directory-deleteditems-list.md); users are the only kind served here.
    if (rest[1]?.toLowerCase() !== 'microsoft.graph.user') return unknownSegment(rest[1] ?? 'deletedItems');
    if (method !== 'GET') return methodNotAllowed('deletedItems.users');
    return {
      kind: 'deletedItems.users',
      permissions: READ_USERS,
      handle: (request) => {
        const query = listQuery(request.url, 'deletedUsers');
        return collectionReply(request, 'users', 'deletedUsers', store.listDeletedUsers(query), query.select);
      },
    };
  }
  if (head === 'directory' && rest[0]?.toLowerCase() === 'authenticationmethoddevices' && rest[1]?.toLowerCase() === 'hardwareoathdevices') {
    if (version !== 'beta') return unknownSegment('authenticationMethodDevices');
    return deviceRoutes(store, rest.slice(2), method) ?? unknownSegment(rest[rest.length - 1] ?? 'hardwareOathDevices');
  }
  return unknownSegment(first ?? '');
}

function decodeSegments(pathname: string): string[] {
  return pathname
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    });
}

function originOf(request: IncomingMessage): string {
  return `https://${request.headers.host ?? '127.0.0.1'}`;
}

/** The Graph API part: auth, faults, Graph's limits, then the route; with the headers the limits add. */
async function handleApi(context: GraphHttpContext, request: IncomingMessage, url: URL, version: string, segments: string[]): Promise<{ reply: Reply; headers: Record<string, string> }> {
  const method = request.method ?? 'GET';
  const route = findRoute(context.store, version, segments, method);
  context.stats.request(method, route.kind);
  const latency = context.faults.latencyMs();
  if (latency > 0) await sleep(latency);

  const token = bearerToken(request.headers.authorization);
  if (token === undefined) throw new GraphApiError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
  const grant = await context.verifyToken(token);
  if (!grant) throw new GraphApiError(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience, issuer or signature.');
  if (context.enforceRoles && grant.roles !== 'all' && route.permissions.length > 0) {
    const roles = grant.roles;
    if (!route.permissions.some((permission) => roles.includes(permission))) {
      throw new GraphApiError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    }
  }

  const failure = context.faults.nextFailure(`${method} ${route.kind}`);
  if (failure) {
    if (!failure.throttled) context.stats.injected(failure.status);
    const message = failure.status === 429 ? 'Too many requests, retry after the time in Retry-After.' : 'The service is temporarily unavailable.';
    throw new GraphApiError(failure.status, codeForStatus(failure.status), message, failure.retryAfterSeconds);
  }
  const { variants } = context.store;
  const decision = context.throttle.admit({
    method,
    segments,
    query: url.searchParams,
    appId: grant.appId,
    tenantId: grant.tenantId,
    model: variants.throttle,
    tenantSize: variants.tenantSize,
    users: () => context.store.state().users,
  });
  if (!decision.admitted) {
    throw new GraphApiError(429, codeForStatus(429), 'Too many requests, retry after the time in Retry-After.', decision.retryAfterSeconds, decision.headers);
  }
  const prefer = request.headers.prefer;
  const reply = await route.handle({
    method,
    url,
    origin: originOf(request),
    version,
    readBody: () => readJson(request),
    ...(typeof prefer === 'string' ? { prefer } : {}),
    roles: context.enforceRoles ? grant.roles : 'all',
  });
  const write = method === 'POST' ? 'post' : method === 'PATCH' ? 'patch' : undefined;
  if (write && reply.status < 300 && context.store.takeSavedThen5xx(write)) {
    // The savedThen5xx variant: the write is kept, but the caller sees a gateway timeout.
    throw new GraphApiError(504, codeForStatus(504), 'The gateway timed out.', 1);
  }
  // The configured bucket's share in use counts as one more limit: the percentage names the highest.
  const headers = { ...decision.headers };
  const bucketUsed = context.faults.limitUsed();
  const documentedUsed = Number(headers['x-ms-throttle-limit-percentage'] ?? 0);
  if (bucketUsed !== undefined && bucketUsed > documentedUsed) headers['x-ms-throttle-limit-percentage'] = bucketUsed.toFixed(2);
  return { reply, headers };
}

/** The control API: seeding, state, faults, stats and the sign-in check. No bearer token. */
async function handleControl(context: GraphHttpContext, request: IncomingMessage, url: URL, segments: string[]): Promise<Reply> {
  const method = request.method ?? 'GET';
  const resource = segments[1]?.toLowerCase();
  const { store, faults, stats } = context;
  const listBody = async (key: string): Promise<unknown[]> => {
    const body = await readJson(request);
    const list: unknown = Array.isArray(body) ? body : isObject(body) ? body[key] : undefined;
    if (!Array.isArray(list)) throw badRequest(`Expected an array or {"${key}": [...]}.`, 'BadRequest');
    return list as unknown[];
  };
  // Deeper paths (users/{id}/restore, groups/{id}, ...) are the directory parts' (handleDirectoryControl).
  const top = segments.length === 2 ? (resource ?? '') : `${resource ?? ''}/`;
  switch (`${method} ${top}`) {
    case 'POST users': {
      const raw = await listBody('users');
      const otherMethods = raw.map((user) => {
        const value = isObject(user) ? (user.otherMethods ?? 0) : 0;
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw badRequest('otherMethods must be a non-negative integer.', 'BadRequest');
        return value;
      });
      const users = store.addUsers(raw.map((user) => parseSeedUser(user)), otherMethods);
      return { status: 201, body: { value: users } };
    }
    case 'GET variants':
      return { status: 200, body: store.variants };
    case 'POST variants':
      store.setVariants(parseVariants(await readJson(request), store.variants));
      context.throttle.reset();
      return { status: 204 };
    case 'DELETE variants':
      store.setVariants(parseVariants({}));
      context.throttle.reset();
      return { status: 204 };
    case 'POST groups': {
      // Groups with known ids (settings such as PROTECTED_GROUP_IDS name them before the test creates them).
      const groups = (await listBody('groups')).map((group) => directoryRolesOf(store).createGroup(group, { keepId: true }));
      return { status: 201, body: { value: groups } };
    }
    case 'POST devices': {
      const created = store.createDevices((await listBody('devices')).map((device) => parseNewDevice(device)));
      return { status: 201, body: { created: created.length, ids: created.map((device) => device.id) } };
    }
    case 'GET state': {
      const serial = url.searchParams.get('serial');
      const user = url.searchParams.get('user');
      return { status: 200, body: store.state({ ...(serial === null ? {} : { serial }), ...(user === null ? {} : { user }) }) };
    }
    case 'POST reset':
      store.reset();
      directoryRolesOf(store).reset();
      faults.clear();
      context.throttle.reset();
      stats.reset();
      return { status: 204 };
    case 'GET faults':
      return { status: 200, body: faults.current() };
    case 'POST faults':
      faults.set(parseFaultSettings(await readJson(request)));
      return { status: 204 };
    case 'DELETE faults':
      faults.clear();
      return { status: 204 };
    case 'GET stats':
      return { status: 200, body: stats.snapshot() };
    case 'POST signin': {
      const body = requireObject(await readJson(request), 'The sign-in request');
      if (typeof body.userId !== 'string' || typeof body.code !== 'string') throw badRequest('userId and code are required.', 'BadRequest');
      if (body.serialNumber !== undefined && typeof body.serialNumber !== 'string') throw badRequest('serialNumber must be a string.', 'BadRequest');
      const signIn: SignInRequest = { userId: body.userId, code: body.code, ...(body.serialNumber === undefined ? {} : { serialNumber: body.serialNumber }) };
      return { status: 200, body: store.signIn(signIn) };
    }
    case 'GET mail':
      return { status: 200, body: { value: store.mail() } };
    case 'POST manager': {
      const body = requireObject(await readJson(request), 'The manager request');
      if (typeof body.userId !== 'string' || (body.managerId !== null && typeof body.managerId !== 'string')) throw badRequest('userId and managerId (or null) are required.', 'BadRequest');
      store.setManager(body.userId, body.managerId);
      return { status: 204 };
    }
    case 'POST tapsignin': {
      const body = requireObject(await readJson(request), 'The sign-in request');
      if (typeof body.userId !== 'string' || typeof body.temporaryAccessPass !== 'string') throw badRequest('userId and temporaryAccessPass are required.', 'BadRequest');
      return { status: 200, body: store.accessPassSignIn(body.userId, body.temporaryAccessPass) };
    }
    default: {
      const reply = await handleDirectoryControl(store, method, segments, () => readJson(request));
      if (reply) return reply;
      throw new GraphApiError(404, 'Request_ResourceNotFound', `No control endpoint ${method} ${url.pathname}.`);
    }
  }
}

/** The node:https request listener of the emulator. */
export function createGraphRequestHandler(context: GraphHttpContext): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const requestId = randomUUID();
    const clientRequestId = request.headers['client-request-id'];
    response.setHeader('request-id', requestId);
    response.setHeader('client-request-id', typeof clientRequestId === 'string' ? clientRequestId : requestId);
    let url: URL;
    try {
      // Only path and query matter here; links use the Host header (originOf).
      url = new URL(request.url ?? '/', 'https://graph.emulator.invalid');
    } catch {
      response.writeHead(400).end();
      return;
    }
    const segments = decodeSegments(url.pathname);
    const first = segments[0]?.toLowerCase();
    const isApi = first === 'beta' || first === 'v1.0';

    const work = async (): Promise<{ reply: Reply; headers: Record<string, string> }> => {
      if (first === '_emulator') return { reply: await handleControl(context, request, url, segments), headers: {} };
      if (isApi) return handleApi(context, request, url, first, segments.slice(1));
      throw badRequest(`Invalid version: ${first ?? ''}`, 'BadRequest');
    };

    work()
      .catch((error: unknown) => {
        const known = error instanceof GraphApiError ? error : new GraphApiError(500, 'generalException', 'An unexpected error occurred.');
        const headers: Record<string, string> = { ...known.headers };
        if (known.retryAfterSeconds !== undefined) headers['Retry-After'] = String(known.retryAfterSeconds);
        if (known.status === 401) headers['WWW-Authenticate'] = 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"';
        return { reply: { status: known.status, body: graphError(known.code, known.message, requestId) }, headers, retryAfterSeconds: known.retryAfterSeconds };
      })
      .then(({ reply, headers, retryAfterSeconds }: { reply: Reply; headers: Record<string, string>; retryAfterSeconds?: number | undefined }) => {
        if (isApi) context.stats.response(reply.status, retryAfterSeconds);
        // Drain an unread body so keep-alive connections stay usable.
        request.resume();
        send(response, reply, headers);
      })
      .catch(() => response.destroy());
  };
}
