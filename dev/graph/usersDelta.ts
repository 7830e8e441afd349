import { GraphApiError, badRequest } from './errors';
import type { GraphUser } from './types';

/**
 * `GET /v1.0/users/delta` as Microsoft documents it (concepts/delta-query-overview.md,
 * concepts/delta-query-users.md, api-reference/v1.0/api/user-delta.md):
 * - a round without a token pages through every current user (`@odata.nextLink` with `$skiptoken`) and
 *   ends with an `@odata.deltaLink` (`$deltatoken`); query options of the first request ride in the tokens;
 * - a round from a deltaLink answers only users changed since it, with the same selected properties
 *   (or, with `Prefer: return=minimal`, only those that changed); a change to a property that was not
 *   selected does not bring a user back;
 * - a deleted user comes back as `{"id", "@removed": {"reason": "changed"}}`;
 * - `$deltatoken=latest` answers no users and a deltaLink from now;
 * - a token the service no longer honours answers 410 Gone: the client starts a full round again.
 * Where the docs are silent or disagree, the choice is a variant (UserDeltaSettings).
 */

export interface UserDeltaSettings {
  /** Users per page (Graph picks its own page size and ignores $top for users). */
  pageSize: number;
  /**
   * The overview says users deleted before the first round are not returned; the users example shows
   * an `@removed` item in an initial response. Default: omitted.
   */
  removedInInitialRound: 'omitted' | 'included';
}

export const DEFAULT_USER_DELTA_SETTINGS: UserDeltaSettings = { pageSize: 100, removedInInitialRound: 'omitted' };

/** Properties a delta item may carry; `id` always. */
type Selectable = Exclude<keyof GraphUser, 'id'>;

interface UserChanges {
  /** Change sequence of the last change of each property (lower-cased name). */
  properties: Map<string, number>;
  /** When the user was created. */
  created: number;
}

/** The change log of the users collection: a sequence number per change, per property. */
export class UserChangeTracker {
  private sequence = 0;
  private readonly byUser = new Map<string, UserChanges>();
  private readonly removed = new Map<string, number>();
  /** Tokens issued before this sequence answer 410 (the control API's "expire"). */
  private validFrom = 0;
  settings: UserDeltaSettings = { ...DEFAULT_USER_DELTA_SETTINGS };

  reset(): void {
    this.sequence = 0;
    this.byUser.clear();
    this.removed.clear();
    this.validFrom = 0;
    this.settings = { ...DEFAULT_USER_DELTA_SETTINGS };
  }

  get current(): number {
    return this.sequence;
  }

  created(userId: string): void {
    const at = ++this.sequence;
    this.byUser.set(userId.toLowerCase(), { created: at, properties: new Map() });
    this.removed.delete(userId.toLowerCase());
  }

  changed(userId: string, properties: Iterable<string>): void {
    const changes = this.byUser.get(userId.toLowerCase());
    if (!changes) return;
    const at = ++this.sequence;
    for (const name of properties) changes.properties.set(name.toLowerCase(), at);
  }

  deleted(userId: string): void {
    this.byUser.delete(userId.toLowerCase());
    this.removed.set(userId.toLowerCase(), ++this.sequence);
  }

  /** A store restored from a snapshot: later changes number after `sequence`, so no earlier token can read them. */
  continueAfter(sequence: number): void {
    this.sequence = Math.max(this.sequence, sequence);
  }

  /** Every token issued so far stops working: the next request with one answers 410. */
  expireTokens(): void {
    this.validFrom = ++this.sequence;
  }

  isValid(since: number): boolean {
    return since >= this.validFrom;
  }

  /**
   * How a user changed in (since, upto]: created then, and/or these selected properties (lower-case;
   * select undefined means all) were set; undefined when nothing selected changed.
   */
  changesOf(userId: string, since: number, upto: number, select: string[] | undefined): { created: boolean; names: string[] } | undefined {
    const changes = this.byUser.get(userId.toLowerCase());
    if (!changes) return undefined;
    const wanted = (name: string) => select === undefined || select.includes(name);
    const names = [...changes.properties].filter(([name, at]) => at > since && at <= upto && wanted(name)).map(([name]) => name);
    const created = changes.created > since && changes.created <= upto;
    return created || names.length > 0 ? { created, names } : undefined;
  }

  lastChange(userId: string): number {
    const changes = this.byUser.get(userId.toLowerCase());
    return changes ? Math.max(changes.created, ...changes.properties.values()) : 0;
  }

  /** Users deleted in (since, upto], by the sequence of their deletion. */
  removedBetween(since: number, upto: number): { id: string; at: number }[] {
    return [...this.removed].filter(([, at]) => at > since && at <= upto).map(([id, at]) => ({ id, at }));
  }
}

interface TokenState {
  /** Initial round: users by position; a delta round: changes by sequence. */
  phase: 'initial' | 'changes';
  /** Changes after this sequence belong to the round (0 for the initial round). */
  since: number;
  /** The sequence when the round started: later changes wait for the next round. */
  upto: number;
  /** Paging key of the last item sent (position or sequence). */
  after: number;
  select?: string[];
}

const TOKEN_TAG = 'usersdelta';

function encodeToken(state: TokenState): string {
  return Buffer.from(JSON.stringify({ tag: TOKEN_TAG, ...state }), 'utf8').toString('base64url');
}

function decodeToken(token: string): TokenState {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<TokenState> & { tag?: string };
    if (parsed.tag === TOKEN_TAG && (parsed.phase === 'initial' || parsed.phase === 'changes') && [parsed.since, parsed.upto, parsed.after].every(Number.isInteger)) {
      return parsed as TokenState;
    }
  } catch {
    // falls through to the error Graph answers for a token it cannot read
  }
  throw new GraphApiError(400, 'Request_BadRequest', 'The specified token value has expired or is invalid.');
}

/** What the delta function needs from the store. */
export interface DeltaSource {
  /** Current users in insertion order, with their paging position. */
  usersInOrder(): Iterable<{ position: number; user: GraphUser }>;
  userById(id: string): GraphUser | undefined;
  changes: UserChangeTracker;
}

export interface DeltaRequest {
  /** https://host:port of the request, for links. */
  origin: string;
  version: string;
  query: URLSearchParams;
  /** `Prefer: return=minimal`. */
  minimal: boolean;
  /** Whether the caller may read employeeLeaveDateTime (User-LifeCycleInfo.Read.All). */
  mayReadLeaveDate: boolean;
}

const option = (query: URLSearchParams, name: string): string | null => {
  for (const [key, value] of query) if (key.toLowerCase() === name) return value;
  return null;
};

const USER_KEYS = new Map<string, Selectable>(
  (['accountEnabled', 'displayName', 'mailNickname', 'userPrincipalName', 'mail', 'employeeId', 'userType', 'createdDateTime', 'employeeHireDate', 'employeeLeaveDateTime', 'officeLocation'] as Selectable[]).map(
    (key) => [key.toLowerCase(), key],
  ),
);

/** One delta item: id plus the selected properties; in minimal mode only those that changed (all, for a new user). */
function itemOf(user: GraphUser, select: string[] | undefined, changed: { created: boolean; names: string[] } | undefined, request: DeltaRequest): Record<string, unknown> {
  const item: Record<string, unknown> = {};
  const names = select ?? [...USER_KEYS.keys()];
  const changedNames = changed?.names ?? [];
  for (const name of names) {
    const key = USER_KEYS.get(name);
    if (!key) continue;
    if (request.minimal && changed !== undefined && !changed.created && !changedNames.includes(name)) continue;
    let value: unknown = user[key];
    if (key === 'employeeLeaveDateTime' && !request.mayReadLeaveDate) value = null;
    // "If the property has never been set before it will not be included in the response at all"; one set to null is.
    if (value === null && !changedNames.includes(name)) continue;
    item[key] = value;
  }
  item.id = user.id;
  return item;
}

/** Answers one users/delta request: a page of items and the nextLink or deltaLink. */
export function usersDelta(source: DeltaSource, request: DeltaRequest): Record<string, unknown> {
  const { changes } = source;
  const skipToken = option(request.query, '$skiptoken');
  const deltaToken = option(request.query, '$deltatoken');
  const selectText = option(request.query, '$select');
  const select = selectText === null ? undefined : selectText.split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== '');
  if (select) {
    const unknown = select.find((name) => name !== 'id' && !USER_KEYS.has(name));
    if (unknown) throw badRequest(`Could not find a property named '${unknown}' on type 'microsoft.graph.user'.`, 'Request_BadRequest');
  }
  if (option(request.query, '$filter') !== null) throw new GraphApiError(400, 'Request_UnsupportedQuery', 'The emulator does not support $filter on users/delta.');

  const link = (kind: 'nextLink' | 'deltaLink', state: TokenState) =>
    `${request.origin}/${request.version}/users/delta?${kind === 'nextLink' ? '$skiptoken' : '$deltatoken'}=${encodeToken(state)}`;
  const context = `${request.origin}/${request.version}/$metadata#users${select ? `(${select.map((name) => USER_KEYS.get(name) ?? name).join(',')})` : ''}`;

  let state: TokenState;
  if (skipToken !== null) state = decodeToken(skipToken);
  else if (deltaToken === 'latest') {
    return { '@odata.context': context, '@odata.deltaLink': link('deltaLink', { phase: 'changes', since: changes.current, upto: changes.current, after: 0, ...(select ? { select } : {}) }), value: [] };
  } else if (deltaToken !== null) {
    const previous = decodeToken(deltaToken);
    state = { phase: 'changes', since: previous.since, upto: changes.current, after: 0, ...(previous.select ? { select: previous.select } : {}) };
  } else {
    state = { phase: 'initial', since: 0, upto: changes.current, after: -1, ...(select ? { select } : {}) };
  }
  if (!changes.isValid(state.phase === 'initial' ? changes.current : state.since)) {
    throw new GraphApiError(410, 'resyncRequired', 'The delta token is no longer valid; start over with a full synchronization.');
  }

  const pageSize = changes.settings.pageSize;
  const items: Record<string, unknown>[] = [];
  let last = state.after;
  let more = false;
  const selected = state.select;

  if (state.phase === 'initial') {
    const removed = changes.settings.removedInInitialRound === 'included' && state.after === -1 ? changes.removedBetween(0, state.upto) : [];
    for (const { id } of removed) items.push({ id, '@removed': { reason: 'changed' } });
    for (const { position, user } of source.usersInOrder()) {
      if (position <= state.after) continue;
      if (items.length >= pageSize) {
        more = true;
        break;
      }
      items.push(itemOf(user, selected, undefined, request));
      last = position;
    }
  } else {
    const entries: { at: number; item: () => Record<string, unknown> }[] = [];
    for (const { user } of source.usersInOrder()) {
      const changed = changes.changesOf(user.id, state.since, state.upto, selected);
      if (changed === undefined) continue;
      const at = changes.lastChange(user.id);
      entries.push({ at, item: () => itemOf(user, selected, changed, request) });
    }
    for (const { id, at } of changes.removedBetween(state.since, state.upto)) entries.push({ at, item: () => ({ id, '@removed': { reason: 'changed' } }) });
    entries.sort((a, b) => a.at - b.at);
    for (const entry of entries) {
      if (entry.at <= state.after) continue;
      if (items.length >= pageSize) {
        more = true;
        break;
      }
      items.push(entry.item());
      last = entry.at;
    }
  }

  const body: Record<string, unknown> = { '@odata.context': context };
  if (more) body['@odata.nextLink'] = link('nextLink', { ...state, after: last });
  else body['@odata.deltaLink'] = link('deltaLink', { phase: 'changes', since: state.upto, upto: state.upto, after: 0, ...(selected ? { select: selected } : {}) });
  body.value = items;
  return body;
}
