import { serialRoute } from '../shared/http/actionRoutes';
import type { AppServices } from '../shared/app/composition';
import type { RevokeReason } from '../shared/domain/token';
import { httpFunction } from '../shared/app/hosting';
import { services } from '../shared/app/runtime';
import { answer, revokeSchema } from '../shared/http/tokenActions';
import { revokeTokenBySerial } from '../shared/workflows/revokeToken';

/** POST /api/tokens/{serial}/revoke: a lost or stolen token named exactly, taken from whoever Entra says holds it. */
export const revokeBySerialHandler = (getServices: () => AppServices) =>
  serialRoute(getServices, { role: 'Tokens.Admin', body: { schema: revokeSchema, limit: 16 * 1024 } }, async ({ app, key: serial, body, context }) =>
    answer(await revokeTokenBySerial(app, serial, body.reason as RevokeReason, body.note, context)),
  );

httpFunction('tokenRevoke', { route: 'tokens/{serial}/revoke', methods: ['POST'], handler: revokeBySerialHandler(services) });
