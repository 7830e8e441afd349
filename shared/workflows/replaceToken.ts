import { instantOf, type HrQueueMessage } from '../domain/hrEvent';
import { isHeld, serialKey, type RevokeReason, type TokenRecord, type TokenStatus } from '../domain/token';
import type { AccessPasses, ProvisioningStore, TemporaryAccessPass, TemporaryAccessPassInfo, WorkQueue } from '../ports';
import { revokeToken, tokensOf, type ActionContext, type RevokeDeps } from './revokeToken';
import type { TargetCheck } from './targetCheck';

/**
 * Replacement in one call: the held token is revoked for the reason given (Entra first, as a revoke
 * does), and a hire for the same person goes on hr-events, so the joiner saga (with every check it
 * makes, in the configured activation mode) provisions another token from the person's pool. On
 * request a one-time Temporary Access Pass lets the person sign in until the new token is in hand;
 * the pass is handed back to the caller only, never logged, queued or stored. One live pass per person:
 * while the last one Entra lists is still valid, no other is issued (a repeated call would otherwise
 * hand out a new pass each time). Each issuance is audited by the pass's id.
 */

export type ReplaceReason = Extract<RevokeReason, 'lost' | 'stolen' | 'damaged'>;
export const REPLACE_REASONS: readonly ReplaceReason[] = ['lost', 'stolen', 'damaged'];

export interface ReplaceDeps extends RevokeDeps {
  provisioning: ProvisioningStore;
  hrEvents: WorkQueue<HrQueueMessage>;
  accessPasses: AccessPasses;
  /** Who may receive a token (and a Temporary Access Pass): asked before the old token is touched. */
  targets: TargetCheck;
}

export type ReplaceResult =
  | {
      outcome: 'done';
      revoked: { serialNumber: string; status: TokenStatus; changed: boolean };
      replacement: { status: 'queued'; eventId: string; employeeId: string };
      temporaryAccessPass?: TemporaryAccessPass;
    }
  | { outcome: 'no_token'; detail: string }
  | { outcome: 'not_allowed'; detail: string; serialNumber?: string }
  /** The person still has a valid pass: nothing was changed. */
  | { outcome: 'pass_live'; detail: string; serialNumber: string; expiresAt: string };

/** When a listed pass stops being valid, or undefined when it already has (expired, or its one use spent). */
export function passValidUntil(pass: TemporaryAccessPassInfo, now: Date): Date | undefined {
  if (pass.usabilityReason === 'Expired' || pass.usabilityReason === 'OneTimeUsed') return undefined;
  const end = new Date(Date.parse(pass.startDateTime) + pass.lifetimeInMinutes * 60_000);
  return Number.isNaN(end.getTime()) || end <= now ? undefined : end;
}

/** The hire event a replacement sends: one per revoked token, so a repeated call re-sends the same one. */
export const replacementEventId = (serialNumber: string): string => `replace-${serialKey(serialNumber)}`;

export async function replaceUserToken(
  deps: ReplaceDeps,
  user: string,
  request: { reason: ReplaceReason; note?: string; temporaryAccessPass: boolean; tapEnabled: boolean; tapLifetimeMinutes: number; privilegedAllowed?: boolean },
  context: ActionContext,
): Promise<ReplaceResult> {
  const tokens = await tokensOf(deps.inventory, user);
  const held = tokens.find((t) => isHeld(t.status));
  // A repeat after the answer was lost: the token is already gone for this very reason.
  const repeat = held ? undefined : tokens.find((t) => t.revocationReason === request.reason && (t.status === 'lost' || t.status === 'retired'));
  const target: TokenRecord | undefined = held ?? repeat;
  if (!target) return { outcome: 'no_token', detail: `${user} holds no token to replace` };

  // Everything that could refuse the replacement is checked before the old token is touched.
  // The holder's account: by the object id on the row when it has one (a UPN may have moved to another account since).
  const holderAccount = target.entraUserId
    ? await deps.directory.findUserByUpn(target.entraUserId)
    : target.userPrincipalName
      ? await deps.directory.findUserByUpn(target.userPrincipalName)
      : undefined;
  const employeeId = target.employeeId ?? holderAccount?.employeeId;
  if (!employeeId) {
    return { outcome: 'not_allowed', serialNumber: target.serialNumber, detail: `${target.serialNumber} was not handed out through an HR hire and its holder has no employeeId in Entra; revoke it and send a hire event instead` };
  }
  const records = await deps.provisioning.list(employeeId);
  const leaver = records.find((r) => r.kind === 'leaver');
  if (leaver?.terminationDate && instantOf(leaver.terminationDate) <= deps.clock.now()) {
    return { outcome: 'not_allowed', serialNumber: target.serialNumber, detail: `${employeeId} was terminated on ${leaver.terminationDate}; a leaver gets no replacement` };
  }
  const joiner = records.find((r) => r.kind === 'joiner');
  if (request.temporaryAccessPass && !request.tapEnabled) {
    return { outcome: 'not_allowed', serialNumber: target.serialNumber, detail: 'Temporary Access Passes are off here (TEMPORARY_ACCESS_PASS); replace without one, or have them turned on' };
  }
  // The target check and the pass are about this one account.
  const account = holderAccount ?? (!target.entraUserId && joiner?.entraUserId ? await deps.directory.findUserByUpn(joiner.entraUserId) : undefined);
  if (request.temporaryAccessPass && !account) return { outcome: 'not_allowed', serialNumber: target.serialNumber, detail: `the Entra account of ${user} is not known, so no Temporary Access Pass can be issued` };
  // A replacement gives a sign-in factor (and maybe a pass) to an account that has had time to become
  // privileged since its first token: asked about now, not judged by the shared privileged set.
  let privilegedApproval: { entraUserId: string; approvedBy: string } | undefined;
  if (account) {
    const verdict = await deps.targets.check(account, { privilegedAllowed: request.privilegedAllowed === true, fresh: true });
    if (!verdict.ok) return { outcome: 'not_allowed', serialNumber: target.serialNumber, detail: `${verdict.refusal}: ${verdict.detail}` };
    // The privileged admin who asks for the replacement approves it for this account, and only this one.
    if (verdict.privileged) privilegedApproval = { entraUserId: account.id, approvedBy: context.actor };
  }
  if (request.temporaryAccessPass && account) {
    const now = deps.clock.now();
    const validUntil = (await deps.accessPasses.temporaryAccessPassesOf(account.id))
      .map((pass) => passValidUntil(pass, now))
      .filter((end): end is Date => end !== undefined)
      .sort((a, b) => b.getTime() - a.getTime())[0];
    if (validUntil) {
      const expiresAt = validUntil.toISOString();
      return {
        outcome: 'pass_live',
        serialNumber: target.serialNumber,
        expiresAt,
        detail: `${account.userPrincipalName || user} already has a Temporary Access Pass, valid until ${expiresAt}; another is issued only after it expires (or is used)`,
      };
    }
  }

  let revoked: { serialNumber: string; status: TokenStatus; changed: boolean } = { serialNumber: target.serialNumber, status: target.status, changed: false };
  if (held) {
    const result = await revokeToken(deps, held, request.reason, request.note, context);
    if (result.outcome !== 'done') return result.outcome === 'no_token' ? result : { outcome: 'not_allowed', serialNumber: target.serialNumber, detail: result.detail };
    revoked = { serialNumber: result.serialNumber, status: result.status, changed: result.changed };
  }

  const eventId = replacementEventId(target.serialNumber);
  const upn = target.userPrincipalName ?? joiner?.userPrincipalName;
  const location = joiner?.location ?? (target.pool !== '' ? target.pool : undefined);
  await deps.hrEvents.send({
    eventId,
    type: 'employee.hired',
    employeeId,
    ...(upn ? { userPrincipalName: upn } : {}),
    ...(location ? { location } : {}),
    ...(privilegedApproval ? { privilegedApproval } : {}),
    firstSeenAt: deps.clock.now().toISOString(),
  });

  const pass = request.temporaryAccessPass && account ? await deps.accessPasses.issueTemporaryAccessPass(account.id, request.tapLifetimeMinutes) : undefined;
  if (pass && account) {
    await deps.audit.record({
      actor: context.actor,
      action: 'temporary_access_pass.issued',
      serialNumber: target.serialNumber,
      employeeId,
      correlationId: context.correlationId,
      outcome: 'succeeded',
      detail: `pass ${pass.id} for account ${account.id}, from ${pass.startDateTime} for ${pass.lifetimeInMinutes} min${pass.isUsableOnce ? ', one use' : ''}`,
    });
  }
  await deps.audit.record({
    actor: context.actor,
    action: 'token.replaced',
    serialNumber: target.serialNumber,
    employeeId,
    correlationId: context.correlationId,
    outcome: 'succeeded',
    detail: `${request.reason}: ${target.serialNumber} ${revoked.status}; replacement queued as ${eventId}${location ? ` from pool ${location}` : ''}${pass ? `; Temporary Access Pass ${pass.id} issued (${pass.lifetimeInMinutes} min, one use)` : ''}`,
  });
  return { outcome: 'done', revoked, replacement: { status: 'queued', eventId, employeeId }, ...(pass ? { temporaryAccessPass: pass } : {}) };
}
