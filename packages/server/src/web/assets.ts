/**
 * The one stylesheet of every page Gatehouse renders (login, consent, error, landing,
 * account, dashboard), served at STYLESHEET_PATH. Kept as a module (not a file next to
 * the build output) so the compiled package carries it. The pages' CSP allows styles
 * from 'self' only: no inline style, no `style=` attribute, no inline script.
 *
 * STYLE GUIDE — write plain semantic HTML inside `layout(title, body, opts)` (web/layout.ts);
 * these are the only classes there are:
 *
 *   Page          layout() draws the header (product name/logo, the tenant's when given,
 *                 an optional `nav`), the footer (terms/privacy links) and <main>:
 *                 default = a narrow card for one form (login, consent); `wide` = reading
 *                 pages (landing, account); `full` = dashboard pages with tables.
 *   Headings      one <h1> per page, then <h2>/<h3> in order. `.lead` = the sentence under
 *                 the h1; `.eyebrow` = a small label above it.
 *   Buttons       <button> is the PRIMARY action (accent colour). `.secondary` = the
 *                 alternative (Cancel, Deny); `.danger` = destructive (Delete, Revoke);
 *                 `.link` = looks like a link. <a class="button"> (+ the same modifiers)
 *                 is a link that looks like a button. Put a row of them in `.actions`
 *                 (primary FIRST in the DOM: it is the form's default; stacks on phones).
 *                 A button inside a table cell or `.inline` form is compact.
 *   Forms         <label for> + <input>/<select>/<textarea>; a hint under a field:
 *                 <p class="hint"> (or <span class="hint"> inside the label).
 *                 <fieldset><legend> groups; a checkbox/radio row:
 *                 <div class="check"><input type="checkbox" id=x><label for=x>Name
 *                 <span class="hint">what it means</span></label></div>.
 *                 `form.inline` = a one-button form inside text or a table cell.
 *   Notices       <p|div class="notice"> information, `.success`, `.warning`, `.error`
 *                 (add role="alert" for a failed submission). A bare `.error` is a box.
 *   Data          <table> with <thead><th>; wrap it in <div class="table-wrap"> so it
 *                 scrolls sideways on phones. <dl> = label/value pairs (two columns on
 *                 desktop). `.badge` (+ `.ok`, `.off`, `.warn`) = a status pill.
 *   Code/secrets  <code> inline; <pre> block; `.secret` = a value shown once to copy
 *                 (e.g. <p class="secret"><code>gh_…</code></p>), selectable in one click.
 *   Lists         `.scopes` = a permission list (<li><strong>Description</strong>
 *                 <code>name</code></li>); `.plain` = a list without bullets;
 *                 `.cards` = a list of bordered rows (connected apps, tenants).
 *   Text          `.muted` = secondary text; `.small`; `.empty` = an empty state.
 *   Nav           layout({ nav }) renders <nav class="site-nav"> in the header; mark the
 *                 current link aria-current="page".
 *
 * The accent comes from the custom properties --accent (backgrounds), --on-accent (text
 * on it) and --accent-text (links, focus rings: ≥ 4.5:1 on the page); a tenant's or the
 * deployment's brand overrides them from a second stylesheet (web/branding.ts).
 */
export const STYLESHEET_PATH = '/oauth/assets/gatehouse.css';

export const STYLESHEET = `/* Gatehouse — one stylesheet for every page. See web/assets.ts for the style guide. */
:root {
  color-scheme: light dark;
  --accent: #0b6bcb; --on-accent: #ffffff; --accent-text: #0a5fb4; --accent-soft: #e8f1fb;
  --bg: #f3f4f6; --surface: #ffffff; --surface-2: #f8f9fa; --text: #1a1d21; --muted: #5b626b;
  --border: #d5d9de; --border-strong: #9aa2ab; --field: #ffffff;
  --error: #b42318; --error-bg: #fdf1f0; --error-border: #f2b8b2;
  --warning: #8a4b00; --warning-bg: #fdf6e7; --warning-border: #edc97c;
  --success: #146c2e; --success-bg: #eef8f0; --success-border: #a7d8b2;
  --notice: #1d4f86; --notice-bg: #eef4fb; --notice-border: #b7cfea;
  --radius: 10px; --radius-sm: 6px;
  --shadow: 0 1px 2px rgb(16 24 40 / 6%), 0 4px 16px rgb(16 24 40 / 6%);
  --font: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif;
  --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --accent: #1f6feb; --on-accent: #ffffff; --accent-text: #79b8ff; --accent-soft: #14243a;
    --bg: #0e1116; --surface: #161b22; --surface-2: #1c222b; --text: #e6e9ed; --muted: #9ea7b3;
    --border: #30363d; --border-strong: #6e7681; --field: #0d1117;
    --error: #ff9b8f; --error-bg: #2c1714; --error-border: #6e2b24;
    --warning: #f2c46d; --warning-bg: #2a2010; --warning-border: #6b5021;
    --success: #7ee2a0; --success-bg: #112419; --success-border: #235e37;
    --notice: #9cc7ff; --notice-bg: #121f31; --notice-border: #294a73;
    --shadow: 0 1px 2px rgb(0 0 0 / 40%);
  }
}
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body {
  margin: 0; min-height: 100vh; display: flex; flex-direction: column;
  background: var(--bg); color: var(--text); font: 16px/1.5 var(--font);
  /* Names and descriptions come from registrations: a long unbroken one wraps instead of running out of its box. */
  overflow-wrap: break-word;
}
a { color: var(--accent-text); text-underline-offset: 0.15em; }
a:hover { text-decoration-thickness: 2px; }
:focus-visible { outline: 3px solid var(--accent-text); outline-offset: 2px; border-radius: 3px; }
img { max-width: 100%; }
.skip-link { position: absolute; left: -999px; top: 0.5rem; z-index: 10; background: var(--surface); padding: 0.6rem 1rem; border-radius: var(--radius-sm); }
.skip-link:focus { left: 0.5rem; }

/* Header and footer */
.site-header { background: var(--surface); border-bottom: 1px solid var(--border); }
.site-header .bar, .site-footer .bar { max-width: 72rem; margin: 0 auto; padding: 0 1.25rem; display: flex; align-items: center; gap: 0.75rem 1.25rem; flex-wrap: wrap; }
.site-header .bar { min-height: 3.75rem; padding-top: 0.5rem; padding-bottom: 0.5rem; flex-wrap: nowrap; }
.site-header .bar:has(.site-nav) { flex-wrap: wrap; }
.brand { display: flex; align-items: center; gap: 0.6rem; min-width: 0; font-weight: 650; font-size: 1.05rem; color: var(--text); text-decoration: none; }
.brand span:last-child, .tenant-brand span { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.brand img { height: 2rem; width: auto; max-width: 10rem; object-fit: contain; }
.brand-mark { display: inline-grid; place-items: center; width: 2rem; height: 2rem; flex: none; border-radius: 8px; background: var(--accent); color: var(--on-accent); font-weight: 700; font-size: 1rem; }
.tenant-brand { display: flex; align-items: center; gap: 0.5rem; min-width: 0; padding-left: 1rem; border-left: 1px solid var(--border); color: var(--muted); font-weight: 550; }
.tenant-brand img { height: 1.75rem; width: auto; max-width: 8rem; object-fit: contain; }
.site-nav { margin-left: auto; display: flex; flex-wrap: wrap; align-items: center; gap: 0.25rem; }
.site-nav a { display: inline-flex; align-items: center; min-height: 2.75rem; padding: 0 0.75rem; border-radius: var(--radius-sm); color: var(--text); text-decoration: none; font-weight: 500; }
.site-nav a:hover { background: var(--surface-2); }
.site-nav a[aria-current="page"] { color: var(--accent-text); box-shadow: inset 0 -3px 0 var(--accent-text); border-radius: 0; }
.site-nav form { margin: 0; }
.site-footer { margin-top: auto; color: var(--muted); font-size: 0.875rem; }
.site-footer .bar { justify-content: center; padding-top: 1.25rem; padding-bottom: 1.5rem; }
.site-footer a { color: var(--muted); display: inline-flex; align-items: center; min-height: 2.75rem; }
.site-footer a:hover { color: var(--text); }

/* Main column: a card for forms, wider for reading and dashboards */
main { width: 100%; max-width: 28rem; margin: 2.5rem auto 1.5rem; padding: 2rem; background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); box-shadow: var(--shadow); }
main.wide { max-width: 46rem; }
main.full { max-width: 72rem; }
main > :first-child { margin-top: 0; }
main > :last-child { margin-bottom: 0; }

/* Type */
h1 { font-size: 1.5rem; line-height: 1.25; letter-spacing: -0.01em; margin: 0 0 0.75rem; font-weight: 700; }
h2 { font-size: 1.125rem; line-height: 1.3; margin: 1.75rem 0 0.6rem; font-weight: 650; }
h3 { font-size: 1rem; margin: 1.25rem 0 0.5rem; font-weight: 650; }
p { margin: 0 0 0.9rem; }
.lead { font-size: 1.0625rem; color: var(--text); }
.eyebrow { margin: 0 0 0.35rem; font-size: 0.8125rem; font-weight: 600; letter-spacing: 0.06em; text-transform: uppercase; color: var(--muted); }
.muted { color: var(--muted); }
.small, .hint { font-size: 0.875rem; }
.hint { display: block; color: var(--muted); margin: 0.25rem 0 0; font-weight: 400; }
code, pre, kbd { font-family: var(--mono); font-size: 0.875em; }
code { overflow-wrap: anywhere; background: var(--surface-2); border: 1px solid var(--border); border-radius: 4px; padding: 0.05em 0.35em; }
pre { overflow-x: auto; background: var(--surface-2); border: 1px solid var(--border); border-radius: var(--radius-sm); padding: 0.75rem 1rem; }
pre code { background: none; border: 0; padding: 0; }
ul, ol { padding-left: 1.25rem; margin: 0 0 1rem; }
li + li { margin-top: 0.35rem; }
ul.plain { list-style: none; padding: 0; }
hr { border: 0; border-top: 1px solid var(--border); margin: 1.5rem 0; }

/* Definition lists: label/value pairs */
dl { margin: 0 0 1rem; }
dt { font-weight: 600; margin-top: 0.9rem; }
dd { margin: 0.2rem 0 0; }
dd code { display: inline-block; margin-bottom: 0.25rem; color: var(--text); }
dd > code:first-child { display: block; width: fit-content; max-width: 100%; }
@media (min-width: 40rem) {
  main.wide dl, main.full dl { display: grid; grid-template-columns: minmax(8rem, max-content) 1fr; gap: 0.6rem 1.5rem; }
  main.wide dt, main.full dt, main.wide dd, main.full dd { margin: 0; }
}

/* Forms */
form { margin: 0; }
label { display: block; font-weight: 600; margin: 1rem 0 0.35rem; }
input:not([type=checkbox]):not([type=radio]):not([type=hidden]), select, textarea {
  display: block; width: 100%; min-height: 2.75rem; padding: 0.55rem 0.75rem;
  font: inherit; color: var(--text); background: var(--field);
  border: 1px solid var(--border-strong); border-radius: var(--radius-sm);
}
textarea { min-height: 6rem; resize: vertical; }
input:focus-visible, select:focus-visible, textarea:focus-visible { outline: 3px solid var(--accent-text); outline-offset: 1px; border-color: var(--accent-text); }
input[aria-invalid="true"] { border-color: var(--error); }
input[type=checkbox], input[type=radio] { width: 1.25rem; height: 1.25rem; margin: 0.15rem 0 0; flex: none; accent-color: var(--accent); }
input[type=color]:not([type=checkbox]):not([type=radio]) { width: 6rem; padding: 0.25rem; cursor: pointer; }
fieldset { border: 1px solid var(--border); border-radius: var(--radius-sm); margin: 1.25rem 0 0; padding: 0.5rem 1rem 0.75rem; min-width: 0; }
legend { font-weight: 600; padding: 0 0.35rem; }
.check { display: flex; align-items: flex-start; gap: 0.75rem; }
.check label { margin: 0; padding: 0.55rem 0; flex: 1; min-height: 2.75rem; font-weight: 550; cursor: pointer; }
.check input { margin-top: 0.7rem; }
.check + .check { border-top: 1px solid var(--border); }

/* Buttons: primary by default */
button, .button {
  display: inline-flex; align-items: center; justify-content: center; gap: 0.5rem;
  min-height: 2.75rem; min-width: 2.75rem; padding: 0.55rem 1.25rem; margin: 0;
  font: inherit; font-weight: 600; line-height: 1.2; text-decoration: none; cursor: pointer;
  color: var(--on-accent); background: var(--accent); border: 1px solid var(--accent); border-radius: var(--radius-sm);
}
button:hover, .button:hover { filter: brightness(1.08); text-decoration: none; }
button:active, .button:active { filter: brightness(0.95); }
button:focus-visible, .button:focus-visible { outline: 3px solid var(--accent-text); outline-offset: 2px; }
button.secondary, .button.secondary { color: var(--text); background: var(--surface); border-color: var(--border-strong); }
button.secondary:hover, .button.secondary:hover { background: var(--surface-2); filter: none; }
button.danger, .button.danger { color: #ffffff; background: #b42318; border-color: #b42318; }
button.link, .button.link { color: var(--accent-text); background: none; border-color: transparent; padding-left: 0.25rem; padding-right: 0.25rem; text-decoration: underline; font-weight: 500; }
button:disabled { opacity: 0.55; cursor: not-allowed; filter: none; }
.actions { display: flex; flex-wrap: wrap; gap: 0.75rem; margin-top: 1.5rem; align-items: center; }
form > button { margin-top: 1.25rem; }
form.inline { display: inline; }
form.inline > button { margin-top: 0; }
td code { white-space: nowrap; overflow-wrap: normal; }
form.inline button, td button, td .button { min-height: 2.25rem; padding: 0.35rem 0.8rem; font-size: 0.875rem; }
main:not(.wide):not(.full) form > button:only-of-type { width: 100%; }

/* Notices */
.notice, .error, .warning, .success { padding: 0.75rem 1rem; margin: 0 0 1rem; border: 1px solid; border-radius: var(--radius-sm); }
.notice { color: var(--notice); background: var(--notice-bg); border-color: var(--notice-border); }
.error { color: var(--error); background: var(--error-bg); border-color: var(--error-border); font-weight: 550; }
.warning { color: var(--warning); background: var(--warning-bg); border-color: var(--warning-border); }
.success { color: var(--success); background: var(--success-bg); border-color: var(--success-border); }
.notice > :last-child, .error > :last-child, .warning > :last-child, .success > :last-child { margin-bottom: 0; }
.secret { display: block; padding: 0.75rem 1rem; background: var(--surface-2); border: 1px dashed var(--border-strong); border-radius: var(--radius-sm); }
.secret code { display: block; background: none; border: 0; padding: 0; font-size: 0.9375rem; word-break: break-all; user-select: all; -webkit-user-select: all; }
.badge { display: inline-block; padding: 0.1rem 0.55rem; border-radius: 999px; font-size: 0.8125rem; font-weight: 600; background: var(--surface-2); border: 1px solid var(--border); color: var(--muted); }
.badge.ok { color: var(--success); background: var(--success-bg); border-color: var(--success-border); }
.badge.off { color: var(--error); background: var(--error-bg); border-color: var(--error-border); }
.badge.warn { color: var(--warning); background: var(--warning-bg); border-color: var(--warning-border); }
.empty { padding: 2rem 1rem; text-align: center; color: var(--muted); border: 1px dashed var(--border); border-radius: var(--radius-sm); }

/* Tables */
.table-wrap { overflow-x: auto; margin: 0 0 1rem; border: 1px solid var(--border); border-radius: var(--radius-sm); }
table { width: 100%; border-collapse: collapse; font-size: 0.9375rem; }
.table-wrap table { margin: 0; }
th, td { text-align: left; vertical-align: middle; padding: 0.6rem 0.85rem; border-bottom: 1px solid var(--border); }
th { font-size: 0.8125rem; font-weight: 650; color: var(--muted); background: var(--surface-2); white-space: nowrap; }
tbody tr:last-child td { border-bottom: 0; }
td.actions, th.actions { text-align: right; white-space: nowrap; margin: 0; display: table-cell; }
/* Dashboard tables: identifiers and times stay on one line (the table scrolls sideways on phones). */
td.nowrap, td form.inline button { white-space: nowrap; }
td.wide { min-width: 16rem; }
/* Dashboard: a search or filter form above a list, on one row where it fits. */
form.search, form.filters { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: flex-end; margin: 1rem 0 1.25rem; }
form.search label { flex-basis: 100%; margin: 0; }
form.search input { flex: 1 1 14rem; width: auto; }
form.filters > div { flex: 1 1 10rem; }
form.filters label { margin-top: 0; }
form.search .actions, form.filters .actions { margin-top: 0; }
.site-nav form.inline button.link { min-height: 2.75rem; padding-top: 0; padding-bottom: 0; margin: 0; font-size: 0.9375rem; }

/* Lists of things */
.cards { list-style: none; padding: 0; margin: 0 0 1rem; border: 1px solid var(--border); border-radius: var(--radius-sm); }
.cards > li { margin: 0; padding: 0.85rem 1rem; display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: center; justify-content: space-between; }
.cards > li + li { border-top: 1px solid var(--border); }

/* The consent page */
.request { display: flex; align-items: center; gap: 0.9rem; margin-bottom: 1.25rem; }
.app-mark { display: inline-grid; place-items: center; width: 3rem; height: 3rem; flex: none; border-radius: 12px; background: var(--accent-soft); color: var(--accent-text); font-size: 1.35rem; font-weight: 700; border: 1px solid var(--border); }
.request > div { min-width: 0; }
.request h1 { margin: 0; }
.request .eyebrow { margin-bottom: 0.15rem; }
.scopes { list-style: none; padding: 0; margin: 0 0 1rem; border: 1px solid var(--border); border-radius: var(--radius-sm); }
.scopes li { margin: 0; padding: 0.7rem 1rem 0.7rem 2.6rem; position: relative; }
.scopes li + li { border-top: 1px solid var(--border); }
.scopes li::before { content: ""; position: absolute; left: 1rem; top: 1.05rem; width: 0.8rem; height: 0.45rem; border-left: 2px solid var(--success); border-bottom: 2px solid var(--success); transform: rotate(-45deg); }
.scopes strong { display: block; font-weight: 600; }
.scopes code { font-size: 0.8125rem; color: var(--muted); }
.fine-print { margin: 1.25rem 0 0; font-size: 0.875rem; color: var(--muted); }
.account-line { display: flex; flex-wrap: wrap; gap: 0.25rem 0.5rem; align-items: baseline; }

/* Phones */
@media (max-width: 40rem) {
  body { background: var(--surface); }
  main { margin: 0; max-width: none; border-radius: 0; border-left: 0; border-right: 0; box-shadow: none; padding: 1.5rem 1.25rem; }
  main.wide, main.full { max-width: none; }
  .site-header .bar, .site-footer .bar { padding-left: 1rem; padding-right: 1rem; }
  .tenant-brand { padding-left: 0.75rem; }
  .site-nav { margin-left: 0; width: 100%; }
  .actions { flex-direction: column; align-items: stretch; }
  .actions > button, .actions > .button, .actions > form, .actions > form > button { width: 100%; }
  h1 { font-size: 1.35rem; }
}
@media (forced-colors: active) {
  button, .button { border: 2px solid ButtonText; }
  .scopes li::before { border-color: CanvasText; }
}
@media (prefers-reduced-motion: reduce) { * { transition: none !important; } }
`;
