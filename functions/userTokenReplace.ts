import { z } from 'zod';
import { userRoute } from '../shared/http/actionRoutes';
import type { AppServices } from '../shared/app/composition';
import { httpFunction } from '../shared/app/hosting';
import { json, problem } from '../shared/http/problem';
import { services } from '../shared/app/runtime';
import { noteSchema } from '../shared/http/tokenActions';
import { REPLACE_REASONS, replaceUserToken, type ReplaceReason } from '../shared/workflows/replaceToken';

const replaceSchema = z
  .object({
    reason: z.enum(REPLACE_REASONS as [ReplaceReason, ...ReplaceReason[]], { message: `must be one of ${REPLACE_REASONS.join(', ')}` }),
    note: noteSchema.optional(),
    temporaryAccessPass: z.boolean().optional(),
  })
  .strict();

/** The answer may carry a Temporary Access Pass: no cache anywhere may keep it. */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/** POST /api/users/{user}/token/replace: revoke the held token, provision another through the saga, optionally a Temporary Access Pass. */
export const replaceHandler = (getServices: () => AppServices) =>
  userRoute(getServices, { role: 'Tokens.Admin', body: { schema: replaceSchema, limit: 16 * 1024 }, refusalHeaders: NO_STORE }, async ({ app, key: user, body: parsed, context, log }) => {
    const result = await replaceUserToken(
      app,
      user,
      {
        reason: parsed.reason,
        ...(parsed.note ? { note: parsed.note } : {}),
        temporaryAccessPass: parsed.temporaryAccessPass ?? false,
        tapEnabled: app.config.tapEnabled,
        tapLifetimeMinutes: app.config.tapLifetimeMinutes,
        privilegedAllowed: context.privilegedAllowed,
      },
      context,
    );
    switch (result.outcome) {
      case 'done': {
        const pass = result.temporaryAccessPass;
        log.log(`token of ${user} replaced: ${result.revoked.serialNumber} ${result.revoked.status}, replacement ${result.replacement.eventId} queued${pass ? `, Temporary Access Pass ${pass.id} issued` : ''}`);
        return json(
          202,
          {
            revoked: result.revoked,
            replacement: result.replacement,
            ...(pass ? { temporaryAccessPass: { temporaryAccessPass: pass.temporaryAccessPass, startDateTime: pass.startDateTime, lifetimeInMinutes: pass.lifetimeInMinutes, isUsableOnce: pass.isUsableOnce } } : {}),
          },
          NO_STORE,
        );
      }
      case 'no_token':
        return problem(404, result.detail);
      case 'not_allowed':
        return problem(409, result.detail, result.serialNumber ? { serialNumber: result.serialNumber } : {});
      case 'pass_live':
        return problem(409, result.detail, { serialNumber: result.serialNumber, temporaryAccessPassExpiresAt: result.expiresAt }, NO_STORE);
      case 'replace_running':
        return problem(409, result.detail, { serialNumber: result.serialNumber }, NO_STORE);
    }
  });

httpFunction('userTokenReplace', { route: 'users/{user}/token/replace', methods: ['POST'], handler: replaceHandler(services) });
