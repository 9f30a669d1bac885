// Who the person is: an identity token from the OpenID provider, sent to the
// core as "Authorization: Bearer <token>". Two ways to get one, as the core's
// /console/config says:
//
//   dev   the development issuer (CORE_DEV_ISSUER, `make run`): the page posts
//         a name and an address to /console/dev-token, which the core signs.
//   oidc  the organisation's provider: the authorization code flow with PKCE
//         (RFC 7636), all in the browser; the token endpoint's id_token is
//         the bearer token (its audience is OIDC_AUDIENCE, the client id).
//
// The token lives in sessionStorage: it dies with the tab, and never travels
// in a cookie.

export type SignInMode = "dev" | "oidc" | "none";

export interface ConsoleConfig {
  signIn: SignInMode;
  issuer?: string;
  clientId?: string;
  scopes?: string;
}

export interface Session {
  token: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
  name: string;
  email: string;
  /** The provider's access token: the core asks the provider's userinfo with it when the token names nobody. */
  accessToken?: string;
}

const sessionKey = "meetline.session";
const pendingKey = "meetline.oidc";

export async function loadConfig(): Promise<ConsoleConfig> {
  const res = await fetch("/console/config", { headers: { Accept: "application/json" } });
  if (!res.ok) throw new Error(`/console/config: ${res.status}`);
  return (await res.json()) as ConsoleConfig;
}

/** The stored session, unless it is missing or expires within a minute. */
export function currentSession(): Session | null {
  const raw = sessionStorage.getItem(sessionKey);
  if (!raw) return null;
  try {
    const s = JSON.parse(raw) as Session;
    if (s.token && s.expiresAt > Date.now() + 60_000) return s;
  } catch {
    // a damaged entry is no session
  }
  sessionStorage.removeItem(sessionKey);
  return null;
}

export function signOut() {
  sessionStorage.removeItem(sessionKey);
}

interface Claims {
  exp?: number;
  name?: string;
  given_name?: string;
  usual_name?: string;
  family_name?: string;
  email?: string;
  nonce?: string;
}

/** The token's claims, for display and expiry only: the core verifies it. */
function claims(token: string): Claims {
  const part = token.split(".")[1] ?? "";
  const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
  const bytes = Uint8Array.from(atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes)) as Claims;
}

function store(token: string, accessToken?: string): Session {
  const c = claims(token);
  const name =
    c.name || [c.given_name, c.usual_name ?? c.family_name].filter(Boolean).join(" ") || c.email || "";
  const s: Session = { token, expiresAt: (c.exp ?? 0) * 1000, name, email: c.email ?? "", accessToken };
  sessionStorage.setItem(sessionKey, JSON.stringify(s));
  return s;
}

/** Shows the name the core knows (from the provider's userinfo) when the token named nobody. */
export function setSessionName(name: string) {
  const s = currentSession();
  if (!s || !name) return;
  sessionStorage.setItem(sessionKey, JSON.stringify({ ...s, name }));
}

/** Signs in with the development issuer. */
export async function devSignIn(name: string, email: string): Promise<Session> {
  const res = await fetch("/console/dev-token", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name, email }),
  });
  if (!res.ok) throw new Error((await res.text()) || res.statusText);
  const { token } = (await res.json()) as { token: string };
  return store(token);
}

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
  end_session_endpoint?: string;
}

async function discover(issuer: string): Promise<Discovery> {
  const res = await fetch(issuer.replace(/\/$/, "") + "/.well-known/openid-configuration");
  if (!res.ok) throw new Error(`discovery: ${res.status}`);
  return (await res.json()) as Discovery;
}

function randomString(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function redirectURI(): string {
  return location.origin + "/";
}

/** Leaves for the provider's sign-in page; returnTo is where to come back. */
export async function oidcSignIn(cfg: ConsoleConfig, returnTo: string): Promise<void> {
  if (!cfg.issuer || !cfg.clientId) throw new Error("no OpenID provider configured");
  const d = await discover(cfg.issuer);
  const verifier = randomString();
  const challenge = base64url(
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))),
  );
  const state = randomString(16);
  const nonce = randomString(16);
  sessionStorage.setItem(pendingKey, JSON.stringify({ verifier, state, nonce, returnTo }));
  const u = new URL(d.authorization_endpoint);
  u.search = new URLSearchParams({
    response_type: "code",
    client_id: cfg.clientId,
    redirect_uri: redirectURI(),
    scope: cfg.scopes || "openid email profile",
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: "S256",
  }).toString();
  location.assign(u.toString());
}

/**
 * Finishes a sign-in when the provider sent the browser back with a code:
 * returns the path to go to, or null when this page load is no callback.
 */
export async function oidcCallback(cfg: ConsoleConfig): Promise<string | null> {
  const params = new URLSearchParams(location.search);
  const code = params.get("code");
  const error = params.get("error");
  if (!code && !error) return null;
  const pending = JSON.parse(sessionStorage.getItem(pendingKey) ?? "null") as {
    verifier: string;
    state: string;
    nonce: string;
    returnTo: string;
  } | null;
  sessionStorage.removeItem(pendingKey);
  history.replaceState(null, "", "/");
  if (error) throw new Error(params.get("error_description") || error);
  if (!pending || params.get("state") !== pending.state) throw new Error("the sign-in answer does not match a request of this tab");
  if (!cfg.issuer || !cfg.clientId) throw new Error("no OpenID provider configured");
  const d = await discover(cfg.issuer);
  const res = await fetch(d.token_endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: code!,
      redirect_uri: redirectURI(),
      client_id: cfg.clientId,
      code_verifier: pending.verifier,
    }),
  });
  if (!res.ok) throw new Error(`token endpoint: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { id_token?: string; access_token?: string };
  if (!body.id_token) throw new Error("the provider returned no id_token");
  if (claims(body.id_token).nonce !== pending.nonce) throw new Error("the identity token's nonce does not match");
  store(body.id_token, body.access_token);
  return pending.returnTo || "/";
}
