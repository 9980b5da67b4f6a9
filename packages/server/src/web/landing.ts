import { html } from './html.js';
import { layout } from './layout.js';
import { DEFAULT_SITE, type Site } from './site.js';

/**
 * The page at `/`: what this server is and where a developer goes next. Everything it
 * needs is public (the issuer and the URLs of its metadata); it is served with
 * PAGE_SECURITY_HEADERS like the authorization pages (no script, no framing).
 */
export interface LandingPageModel {
  issuer: string;
  /** The RFC 8414 metadata document (§3.1: /.well-known/oauth-authorization-server, then the issuer's path). */
  metadataUrl: string;
  jwksUrl: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  introspectionEndpoint: string;
  revocationEndpoint: string;
}

export function landingPage(model: LandingPageModel, site: Site = DEFAULT_SITE): string {
  return layout(
    site.productName,
    html`<p class="eyebrow">OAuth 2.0 authorization server</p>
<h1>${site.productName}</h1>
<p class="lead">This is an OAuth 2.0 authorization server. Its issuer is <code>${model.issuer}</code>.</p>
<p>Applications get access tokens here, and send their users here to sign in and approve access; APIs check those tokens with its public keys.</p>
<p class="notice">Nothing to sign in to here: an application sends you to the authorization endpoint when it needs your approval.</p>
<h2>For developers</h2>
<ul class="cards">
<li><div><a href="${model.metadataUrl}">Authorization server metadata</a><span class="hint">RFC 8414: the issuer, every endpoint, and the grant types, scopes and client authentication methods supported, as JSON.</span></div></li>
<li><div><a href="${model.jwksUrl}">Public signing keys</a><span class="hint">JWKS, RFC 7517: to verify the access tokens (JWTs, RFC 9068).</span></div></li>
</ul>
<h2>Endpoints</h2>
<dl>
<dt>Authorization</dt>
<dd><code>${model.authorizationEndpoint}</code>Where an application sends a user's browser: sign-in, then consent (authorization code with PKCE).</dd>
<dt>Token</dt>
<dd><code>${model.tokenEndpoint}</code>Where a client gets its tokens (POST).</dd>
<dt>Introspection</dt>
<dd><code>${model.introspectionEndpoint}</code>Whether a token is active (RFC 7662, POST).</dd>
<dt>Revocation</dt>
<dd><code>${model.revocationEndpoint}</code>Revokes a token (RFC 7009, POST).</dd>
</dl>`,
    { wide: true, site },
  );
}
