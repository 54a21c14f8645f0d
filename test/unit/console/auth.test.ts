import { describe, expect, it } from 'vitest';
import {
  type AuthDeps,
  authorizeUrl,
  base64Url,
  CognitoAuth,
  challengeS256,
  codeExchange,
  type KeyValueStore,
  logoutUrl,
  parseCallback,
  randomVerifier,
  refreshExchange,
  saveToken,
  tokenSession,
} from '../../../console/src/auth';

const CONFIG = {
  auth: 'cognito' as const,
  apiUrl: 'https://api.example.cn',
  region: 'cn-north-1',
  userPoolClientId: 'client123',
  cognitoDomain: 'https://pamir.auth.cn-north-1.amazoncognito.com',
  redirectUri: 'https://console.example.cn/',
  logoutUri: 'https://console.example.cn/',
};

function memoryStore(): KeyValueStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

describe('PKCE pieces (RFC 7636)', () => {
  it('computes the S256 challenge of the RFC 7636 appendix B example', async () => {
    expect(await challengeS256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('encodes base64url without padding or + and /', () => {
    expect(base64Url(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe('-_-_');
    expect(base64Url(new Uint8Array([1]))).toBe('AQ');
  });

  it('makes 43-character verifiers of the unreserved alphabet, different each time', () => {
    const a = randomVerifier();
    const b = randomVerifier();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
  });

  it('builds the authorize URL with the code flow, the S256 challenge and the state', () => {
    const url = new URL(authorizeUrl(CONFIG, 'st4te', 'ch4llenge'));
    expect(`${url.origin}${url.pathname}`).toBe(`${CONFIG.cognitoDomain}/oauth2/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'client123',
      redirect_uri: 'https://console.example.cn/',
      scope: 'openid email profile',
      state: 'st4te',
      code_challenge: 'ch4llenge',
      code_challenge_method: 'S256',
    });
  });

  it('trades a code with the verifier, and refreshes with the refresh token, as form posts', () => {
    const code = codeExchange(CONFIG, 'c0de', 'v3rifier');
    expect(code.url).toBe(`${CONFIG.cognitoDomain}/oauth2/token`);
    expect(code.init.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(code.init.body))).toEqual({
      grant_type: 'authorization_code',
      client_id: 'client123',
      code: 'c0de',
      redirect_uri: 'https://console.example.cn/',
      code_verifier: 'v3rifier',
    });
    expect(Object.fromEntries(new URLSearchParams(refreshExchange(CONFIG, 'r3fresh').init.body))).toEqual({
      grant_type: 'refresh_token',
      client_id: 'client123',
      refresh_token: 'r3fresh',
    });
  });

  it('signs out through Cognito /logout back to the console', () => {
    const url = new URL(logoutUrl(CONFIG));
    expect(url.pathname).toBe('/logout');
    expect(url.searchParams.get('logout_uri')).toBe('https://console.example.cn/');
    expect(url.searchParams.get('client_id')).toBe('client123');
  });

  it('reads the redirect back: a code, an error, or nothing', () => {
    expect(parseCallback('?code=abc&state=xyz')).toEqual({ kind: 'code', code: 'abc', state: 'xyz' });
    expect(parseCallback('?error=access_denied&error_description=User+cancelled')).toEqual({
      kind: 'error',
      message: 'access_denied: User cancelled',
    });
    expect(parseCallback('')).toEqual({ kind: 'none' });
    expect(parseCallback('?code=abc')).toEqual({ kind: 'none' });
  });
});

describe('Cognito sign-in', () => {
  function setup(answers: { ok: boolean; status: number; body: unknown }[]) {
    const store = memoryStore();
    const posts: { url: string; body: URLSearchParams }[] = [];
    let now = 1_000_000;
    const redirects: string[] = [];
    const deps: AuthDeps = {
      store,
      now: () => now,
      redirect: (url) => redirects.push(url),
      fetch: async (url, init) => {
        posts.push({ url, body: new URLSearchParams(init.body) });
        const answer = answers.shift() ?? { ok: false, status: 500, body: {} };
        return { ok: answer.ok, status: answer.status, json: async () => answer.body };
      },
    };
    return {
      auth: new CognitoAuth(CONFIG, deps),
      store,
      posts,
      redirects,
      advance: (ms: number) => (now += ms),
    };
  }

  it('begins with a challenge of the kept verifier and completes with that verifier', async () => {
    const s = setup([
      { ok: true, status: 200, body: { access_token: 'A1', refresh_token: 'R1', expires_in: 3600 } },
    ]);
    await s.auth.begin();
    const url = new URL(s.redirects[0] as string);
    const state = url.searchParams.get('state') as string;
    const { verifier } = JSON.parse(s.store.data.get('pamir.pkce') as string);
    expect(url.searchParams.get('code_challenge')).toBe(await challengeS256(verifier));

    expect(await s.auth.complete(`?code=thecode&state=${state}`)).toBe(true);
    expect(s.posts[0]?.body.get('code_verifier')).toBe(verifier);
    expect(s.posts[0]?.body.get('code')).toBe('thecode');
    expect(s.store.data.has('pamir.pkce')).toBe(false);
    expect(await s.auth.token()).toBe('A1');
  });

  it('refuses a redirect whose state this tab did not start', async () => {
    const s = setup([]);
    await s.auth.begin();
    await expect(s.auth.complete('?code=c&state=forged')).rejects.toThrow(/state does not match/);
    expect(s.posts).toEqual([]);
    expect(s.auth.signedIn()).toBe(false);
  });

  it('refreshes an access token about to expire, once for parallel callers, keeping the refresh token', async () => {
    const s = setup([
      { ok: true, status: 200, body: { access_token: 'A1', refresh_token: 'R1', expires_in: 3600 } },
      { ok: true, status: 200, body: { access_token: 'A2', expires_in: 3600 } },
    ]);
    await s.auth.begin();
    const state = new URL(s.redirects[0] as string).searchParams.get('state');
    await s.auth.complete(`?code=c&state=${state}`);
    s.advance(3600_000 - 30_000);
    const [a, b] = await Promise.all([s.auth.token(), s.auth.token()]);
    expect([a, b]).toEqual(['A2', 'A2']);
    expect(s.posts.map((p) => p.body.get('grant_type'))).toEqual(['authorization_code', 'refresh_token']);
    expect(s.posts[1]?.body.get('refresh_token')).toBe('R1');
    s.advance(3600_000);
    // The refresh answer had no new refresh token: the first one is kept and used again.
    await expect(s.auth.token()).rejects.toThrow(/session has expired/);
    expect(s.posts[2]?.body.get('refresh_token')).toBe('R1');
    expect(s.auth.signedIn()).toBe(false);
  });

  it('signs out: forgets the tokens and goes to Cognito /logout', async () => {
    const s = setup([{ ok: true, status: 200, body: { access_token: 'A1', expires_in: 3600 } }]);
    await s.auth.begin();
    const state = new URL(s.redirects[0] as string).searchParams.get('state');
    await s.auth.complete(`?code=c&state=${state}`);
    s.auth.signOut();
    expect(s.auth.signedIn()).toBe(false);
    expect(s.redirects.at(-1)).toBe(logoutUrl(CONFIG));
  });
});

describe('token sign-in (local runtime)', () => {
  it('keeps the token typed in, trimmed, until sign-out', async () => {
    const store = memoryStore();
    expect(tokenSession(store, () => undefined)).toBeUndefined();
    saveToken(store, '  tok-123 \n');
    let out = 0;
    const session = tokenSession(store, () => out++);
    expect(await session?.token()).toBe('tok-123');
    session?.signOut();
    expect(out).toBe(1);
    expect(tokenSession(store, () => undefined)).toBeUndefined();
  });
});
