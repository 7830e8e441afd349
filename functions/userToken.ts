import { z } from 'zod';
import { userRoute } from '../shared/http/actionRoutes';
import type { AppServices } from '../shared/app/composition';
import { REVOKE_REASONS } from '../shared/domain/token';
import { answer, revokeSchema } from '../shared/http/tokenActions';
import { httpFunction } from '../shared/app/hosting';
import { problem } from '../shared/http/problem';
import { services } from '../shared/app/runtime';
import { resumeUserToken, revokeUserToken, suspendUserToken } from '../shared/workflows/revokeToken';
import { validate } from '../shared/domain/validation';

export const revokeHandler = (getServices: () => AppServices) =>
  userRoute(getServices, { role: 'Tokens.Admin', body: { schema: z.unknown(), limit: 16 * 1024 } }, async ({ app, key: user, body, context }) => {
    const parsed = validate(revokeSchema, body);
    if (!parsed.ok) return problem(400, 'The request is not valid', { errors: parsed.errors });
    return answer(await revokeUserToken(app, user, parsed.value.reason as (typeof REVOKE_REASONS)[number], parsed.value.note, context));
  });

export const suspendHandler = (getServices: () => AppServices) =>
  userRoute(getServices, { role: 'Tokens.Admin' }, async ({ app, key: user, context }) => answer(await suspendUserToken(app, user, context)));
export const resumeHandler = (getServices: () => AppServices) =>
  userRoute(getServices, { role: 'Tokens.Admin' }, async ({ app, key: user, context }) => answer(await resumeUserToken(app, user, context)));

httpFunction('userTokenRevoke', { route: 'users/{user}/token/revoke', methods: ['POST'], handler: revokeHandler(services) });
httpFunction('userTokenSuspend', { route: 'users/{user}/token/suspend', methods: ['POST'], handler: suspendHandler(services) });
httpFunction('userTokenResume', { route: 'users/{user}/token/resume', methods: ['POST'], handler: resumeHandler(services) });
