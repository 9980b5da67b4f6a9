import { AUDIT_ACTIONS } from '../../core/storage/audit.js';
import { html } from '../html.js';
import { ADMIN_PATH, adminLayout, formatTime, table, type Viewer } from './common.js';

export interface AuditFilterValues {
  tenant: string;
  action: string;
  actor: string;
  since: string;
}

export interface AuditEventView {
  time: number;
  actor: string;
  tenant: string | null;
  action: string;
  target: string | null;
  outcome: string;
  /** The event's details, one `name: value` each (never a secret: the audit log holds none). */
  details: string[];
}

export interface AuditPageModel {
  viewer: Viewer;
  filters: AuditFilterValues;
  events: AuditEventView[];
  /** The URL of the next (older) page, or null on the last one. */
  nextHref: string | null;
  /** The first page of the same filters, when this is a later one. */
  firstHref: string | null;
  error?: string | undefined;
}

export function auditPage(model: AuditPageModel): string {
  const { viewer, filters } = model;
  const rows = model.events.map(
    (event) =>
      html`<tr><td class="nowrap">${formatTime(event.time)}</td><td>${event.actor}</td><td>${event.tenant ?? html`<span class="muted">—</span>`}</td><td><code>${event.action}</code></td><td>${event.target ?? ''}</td><td>${event.outcome}</td><td class="wide">${event.details.join(', ')}</td></tr>`,
  );
  return adminLayout(
    { title: 'Audit log', viewer, section: 'audit', crumbs: [{ label: 'Dashboard', href: ADMIN_PATH }, { label: 'Audit log' }], error: model.error },
    html`<form method="get" action="${ADMIN_PATH}/audit" class="filters">
${
  viewer.operator
    ? html`<div><label for="audit-tenant">Tenant</label><input type="text" id="audit-tenant" name="tenant" value="${filters.tenant}"></div>`
    : html`<p class="hint">Events of tenant <code>${viewer.tenant ?? ''}</code>.</p>`
}
<div><label for="audit-action">Action</label><select id="audit-action" name="action"><option value="">Any</option>${AUDIT_ACTIONS.map((action) => html`<option value="${action}"${action === filters.action ? html` selected` : ''}>${action}</option>`)}</select></div>
<div><label for="audit-actor">Actor</label><input type="text" id="audit-actor" name="actor" value="${filters.actor}"></div>
<div><label for="audit-since">Since <span class="hint">24h, 7d or 2026-12-01T00:00:00Z</span></label><input type="text" id="audit-since" name="since" value="${filters.since}"></div>
<div class="actions"><button type="submit" class="secondary">Filter</button></div>
</form>
${table('Audit events, newest first', ['Time', 'Actor', 'Tenant', 'Action', 'Target', 'Outcome', 'Details'], rows, 'No event matches.')}
<nav aria-label="Pages" class="pager">${model.firstHref ? html`<a href="${model.firstHref}">Newest</a> ` : ''}${model.nextHref ? html`<a href="${model.nextHref}">Older events</a>` : ''}</nav>`,
  );
}
