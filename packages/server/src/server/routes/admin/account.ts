import type { FastifyInstance } from 'fastify';
import { adminHomePage, adminMfaPage, adminRecoveryCodesPage, type MfaStatusModel } from '../../../web/admin/account-pages.js';
import { ADMIN_PATHS } from '../../../web/admin/layout.js';
import type { RouteOptions } from '../oauth.js';
import { adminForm, requireAdmin, sendAdminPage, seeOther, viewerOf, type AdminRequestContext } from './guard.js';

/** The signed-in admin's own pages: the dashboard's home, and two-step verification (enrol, recovery codes, turn off). */
export async function accountRoutes(app: FastifyInstance, { services, site }: RouteOptions): Promise<void> {
  const auth = services.adminAuth;

  app.get(ADMIN_PATHS.home, async (request, reply) => {
    const admin = requireAdmin(request);
    return sendAdminPage(reply, 200, adminHomePage(viewerOf(admin, site), { mfaEnabled: admin.account.mfaEnabled, lastSignInAt: admin.account.lastSignInAt }));
  });

  const mfaPage = (admin: AdminRequestContext, extra: Partial<MfaStatusModel> = {}): string => {
    const { account } = admin;
    const enrolment = account.mfaEnabled ? undefined : auth.beginMfaEnrolment(account, Date.now());
    return adminMfaPage(viewerOf(admin, site), {
      enabled: account.mfaEnabled,
      recoveryCodesLeft: account.recoveryCodesLeft,
      ...(enrolment ? { enrol: { secret: enrolment.secret, uri: enrolment.uri, enrolment: enrolment.token } } : {}),
      ...extra,
    });
  };

  app.get(ADMIN_PATHS.mfa, async (request, reply) => sendAdminPage(reply, 200, mfaPage(requireAdmin(request))));

  // The first code of the new secret confirms the enrolment; the recovery codes are shown once.
  app.post(ADMIN_PATHS.mfaEnrol, async (request, reply) => {
    const admin = requireAdmin(request);
    if (admin.account.mfaEnabled) return seeOther(reply, ADMIN_PATHS.mfa);
    const form = adminForm(request);
    const enrolment = auth.openMfaEnrolment(admin.account, form.get('enrolment') ?? '', Date.now());
    if (!enrolment) return sendAdminPage(reply, 400, mfaPage(admin));
    const codes = await auth.confirmMfaEnrolment(admin.account, enrolment, form.get('code') ?? '', Date.now());
    if (!codes) {
      const retry: MfaStatusModel = {
        enabled: false,
        recoveryCodesLeft: 0,
        enrol: { secret: enrolment.secret, uri: enrolment.uri, enrolment: enrolment.token, error: 'That code is not right: check the key in your app and the time on your phone, then try the current code.' },
      };
      return sendAdminPage(reply, 400, adminMfaPage(viewerOf(admin, site), retry));
    }
    // The account's other sessions were opened without the second factor: they end.
    await services.sessions.endAll('admin', admin.accountId, { except: admin.sessionId });
    return sendAdminPage(reply, 200, adminRecoveryCodesPage(viewerOf(admin, site), codes));
  });

  // Turning it off needs a current code or the password (not only a session left open).
  app.post(ADMIN_PATHS.mfaDisable, async (request, reply) => {
    const admin = requireAdmin(request);
    if (!admin.account.mfaEnabled) return seeOther(reply, ADMIN_PATHS.mfa);
    const form = adminForm(request);
    const code = form.get('code')?.trim() || undefined;
    const password = form.get('password') || undefined;
    const outcome = await auth.disableMfa(admin.account, { ...(code ? { code } : {}), ...(password ? { password } : {}) }, request.ip, Date.now());
    if (typeof outcome === 'object') return sendAdminPage(reply.header('retry-after', String(outcome.throttled)), 429, mfaPage(admin, { error: 'Too many failed attempts. Wait a minute, then try again.' }));
    if (outcome === 'invalid') return sendAdminPage(reply, 400, mfaPage(admin, { error: 'Enter a current code from your authenticator app, or your password.' }));
    await services.sessions.endAll('admin', admin.accountId, { except: admin.sessionId });
    return seeOther(reply, ADMIN_PATHS.mfa);
  });
}
