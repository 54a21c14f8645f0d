import type { ConsoleConfig } from '../../functions/contract/console-config';

// Sign-in for both places the console runs. Locally the password field takes an API token. In the cloud it is
// Cognito's authorization code flow with PKCE (RFC 7636, S256): the browser never holds a client secret, and a
// code intercepted on the redirect is useless without the verifier kept in this tab's session storage.
//
// Nothing here touches `window` directly: the browser's pieces come in as `AuthDeps`, so the URL and PKCE parts run
// in unit tests under Node as they do in the page.

/** The slice of `sessionStorage` the sign-in keeps its state in. */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

type CognitoConfig = Extract<ConsoleConfig, { auth: 'cognito' }>;

/** What the signed-in console needs: the current bearer token, and a way out. */
export interface Session {
  /** The bearer token for the next call (refreshed first when it is about to expire). */
  token(): Promise<string>;
  signOut(): void;
}

const TOKEN_KEY = 'pamir.token';
const PKCE_KEY = 'pamir.pkce';
const TOKENS_KEY = 'pamir.tokens';
/** Refresh this long before the access token's expiry, so a call in flight does not carry a token that lapses. */
const REFRESH_EARLY_MS = 60_000;

/** A local API token session, kept in session storage (gone when the tab closes). */
export function tokenSession(store: KeyValueStore, onSignOut: () => void): Session | undefined {
  const token = store.getItem(TOKEN_KEY);
  if (!token) return undefined;
  return {
    token: async () => token,
    signOut: () => {
      store.removeItem(TOKEN_KEY);
      onSignOut();
    },
  };
}

/** Keeps a token typed into the sign-in form. */
export function saveToken(store: KeyValueStore, token: string): void {
  store.setItem(TOKEN_KEY, token.trim());
}

/** Base64url without padding (RFC 4648 §5), as PKCE and JWTs use it. */
export function base64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A code verifier: 32 random bytes as 43 base64url characters (RFC 7636 §4.1 asks for 43 to 128). */
export function randomVerifier(random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b)) {
  return base64Url(random(new Uint8Array(32)));
}

/** The S256 code challenge of a verifier: base64url(SHA-256(ASCII(verifier))). */
export async function challengeS256(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

/** Cognito's `/oauth2/authorize` URL that starts the sign-in. */
export function authorizeUrl(config: CognitoConfig, state: string, challenge: string): string {
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: config.userPoolClientId,
    redirect_uri: config.redirectUri,
    scope: 'openid email profile',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  return `${config.cognitoDomain}/oauth2/authorize?${params}`;
}

/** The `/oauth2/token` request that trades the code (and the verifier) for tokens. */
export function codeExchange(config: CognitoConfig, code: string, verifier: string): TokenRequest {
  return tokenRequest(config, {
    grant_type: 'authorization_code',
    client_id: config.userPoolClientId,
    code,
    redirect_uri: config.redirectUri,
    code_verifier: verifier,
  });
}

/** The `/oauth2/token` request that renews the access token with the refresh token. */
export function refreshExchange(config: CognitoConfig, refreshToken: string): TokenRequest {
  return tokenRequest(config, {
    grant_type: 'refresh_token',
    client_id: config.userPoolClientId,
    refresh_token: refreshToken,
  });
}

/** A form POST to the token endpoint. */
export interface TokenRequest {
  url: string;
  init: { method: 'POST'; headers: Record<string, string>; body: string };
}

function tokenRequest(config: CognitoConfig, form: Record<string, string>): TokenRequest {
  return {
    url: `${config.cognitoDomain}/oauth2/token`,
    init: {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    },
  };
}

/** Cognito's `/logout` URL, which ends its own session too and returns to the console. */
export function logoutUrl(config: CognitoConfig): string {
  const params = new URLSearchParams({ client_id: config.userPoolClientId, logout_uri: config.logoutUri });
  return `${config.cognitoDomain}/logout?${params}`;
}

/** What the redirect back from Cognito carries in its query string, if anything. */
export type Callback =
  | { kind: 'code'; code: string; state: string }
  | { kind: 'error'; message: string }
  | { kind: 'none' };

export function parseCallback(search: string): Callback {
  const params = new URLSearchParams(search);
  const error = params.get('error');
  if (error) {
    const description = params.get('error_description');
    return { kind: 'error', message: description ? `${error}: ${description}` : error };
  }
  const code = params.get('code');
  const state = params.get('state');
  if (code && state) return { kind: 'code', code, state };
  return { kind: 'none' };
}

/** The tokens Cognito answers with, and when the access token expires (epoch ms). */
interface StoredTokens {
  accessToken: string;
  refreshToken?: string;
  expiresAt: number;
}

/** Reads Cognito's token response, refusing one without an access token. */
function tokensFrom(body: unknown, now: number, previousRefresh?: string): StoredTokens {
  const b = (body ?? {}) as { access_token?: unknown; refresh_token?: unknown; expires_in?: unknown };
  if (typeof b.access_token !== 'string' || !b.access_token)
    throw new Error('the sign-in service answered without an access token');
  const expiresIn = typeof b.expires_in === 'number' && b.expires_in > 0 ? b.expires_in : 3600;
  const refresh = typeof b.refresh_token === 'string' ? b.refresh_token : previousRefresh;
  return {
    accessToken: b.access_token,
    expiresAt: now + expiresIn * 1000,
    ...(refresh ? { refreshToken: refresh } : {}),
  };
}

/** The browser's pieces Cognito sign-in uses. */
export interface AuthDeps {
  store: KeyValueStore;
  fetch: (
    url: string,
    init: TokenRequest['init'],
  ) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;
  now(): number;
  /** Leaves the page for Cognito. */
  redirect(url: string): void;
  random?: (bytes: Uint8Array) => Uint8Array;
}

/** Authorization code + PKCE sign-in against a Cognito user pool's managed login. */
export class CognitoAuth {
  private refreshing: Promise<StoredTokens> | undefined;

  constructor(
    private readonly config: CognitoConfig,
    private readonly deps: AuthDeps,
  ) {}

  /** Starts the sign-in: keeps a fresh verifier and state for this tab, then goes to Cognito. */
  async begin(): Promise<void> {
    const verifier = randomVerifier(this.deps.random);
    const state = randomVerifier(this.deps.random);
    this.deps.store.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
    this.deps.redirect(authorizeUrl(this.config, state, await challengeS256(verifier)));
  }

  /**
   * Finishes a sign-in when the page's query string is Cognito's redirect: checks the state (a redirect this tab
   * did not start is refused) and trades the code for tokens. Answers whether the page was a callback.
   */
  async complete(search: string): Promise<boolean> {
    const callback = parseCallback(search);
    if (callback.kind === 'none') return false;
    const saved = this.deps.store.getItem(PKCE_KEY);
    this.deps.store.removeItem(PKCE_KEY);
    if (callback.kind === 'error') throw new Error(`sign-in refused: ${callback.message}`);
    const pkce = saved ? (JSON.parse(saved) as { verifier?: string; state?: string }) : {};
    if (!pkce.verifier || pkce.state !== callback.state)
      throw new Error('this sign-in was not started from this tab (state does not match); sign in again');
    const request = codeExchange(this.config, callback.code, pkce.verifier);
    this.save(await this.post(request));
    return true;
  }

  /** Whether tokens are held (perhaps expired, but refreshable). */
  signedIn(): boolean {
    return this.load() !== undefined;
  }

  /** The access token, refreshed first when it expires within a minute; throws when the session is over. */
  async token(): Promise<string> {
    const tokens = this.load();
    if (!tokens) throw new Error('not signed in');
    if (tokens.expiresAt - REFRESH_EARLY_MS > this.deps.now()) return tokens.accessToken;
    if (!tokens.refreshToken) {
      this.clear();
      throw new Error('the session has expired; sign in again');
    }
    // One refresh at a time: parallel calls share it rather than spending the refresh token twice.
    this.refreshing ??= this.post(
      refreshExchange(this.config, tokens.refreshToken),
      tokens.refreshToken,
    ).finally(() => {
      this.refreshing = undefined;
    });
    const fresh = await this.refreshing.catch((err: Error) => {
      this.clear();
      throw new Error(`the session has expired (${err.message}); sign in again`);
    });
    this.save(fresh);
    return fresh.accessToken;
  }

  /** Forgets the tokens and signs out of Cognito's own session too. */
  signOut(): void {
    this.clear();
    this.deps.redirect(logoutUrl(this.config));
  }

  private async post(request: TokenRequest, previousRefresh?: string): Promise<StoredTokens> {
    const res = await this.deps.fetch(request.url, request.init);
    const body = await res.json().catch(() => ({}));
    if (!res.ok) {
      const error = (body as { error?: string }).error ?? `HTTP ${res.status}`;
      throw new Error(`the sign-in service refused the token request (${error})`);
    }
    return tokensFrom(body, this.deps.now(), previousRefresh);
  }

  private load(): StoredTokens | undefined {
    const raw = this.deps.store.getItem(TOKENS_KEY);
    if (!raw) return undefined;
    try {
      return JSON.parse(raw) as StoredTokens;
    } catch {
      return undefined;
    }
  }

  private save(tokens: StoredTokens): void {
    this.deps.store.setItem(TOKENS_KEY, JSON.stringify(tokens));
  }

  private clear(): void {
    this.deps.store.removeItem(TOKENS_KEY);
  }
}
