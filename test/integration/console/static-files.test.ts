import { mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleStatic } from '../../../infra/local/console-static';
import { startLocalHttp } from '../../../infra/local/http-server';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir';

/** A raw request: the path goes out exactly as written (fetch would resolve `..` segments before sending). */
function raw(port: number, method: string, path: string) {
  return new Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: string;
  }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const INDEX =
  '<!doctype html><title>console</title><script type="module" src="./assets/index-Ab12.js"></script>';
const SECRET = 'do-not-serve-this-secret';

describe('the local runtime serves the operator console beside the API', () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof startLocalHttp>>;
  let missing: Awaited<ReturnType<typeof startLocalHttp>>;
  const invoked: string[] = [];

  beforeAll(async () => {
    dir = await makeTempDir('pamir-console-static-');
    const dist = join(dir, 'dist');
    await mkdir(join(dist, 'assets', 'sub'), { recursive: true });
    await writeFile(join(dist, 'index.html'), INDEX);
    await writeFile(join(dist, 'assets', 'index-Ab12.js'), 'console.log("app")');
    await writeFile(join(dist, 'assets', 'index-Cd34.css'), 'body{color:red}');
    await writeFile(join(dist, 'assets', 'sub', 'x.js'), SECRET);
    await writeFile(join(dir, 'secret.txt'), SECRET);
    await writeFile(join(dist, 'secret.txt'), SECRET);
    const options = {
      routes: [{ method: 'GET', path: '/alarms' }] as const,
      callers: [{ name: 'admin', role: 'admin', token: 'admin-token-0123456789' }],
      invoke: async (event: { routeKey: string }) => {
        invoked.push(event.routeKey);
        return { statusCode: 200, body: '{"items":[]}', headers: { 'content-type': 'application/json' } };
      },
    };
    server = await startLocalHttp({ ...options, staticFiles: consoleStatic(dist) });
    missing = await startLocalHttp({ ...options, staticFiles: consoleStatic(join(dir, 'not-built')) });
  });
  afterAll(async () => {
    await server?.stop();
    await missing?.stop();
    await removeTempDir(dir);
  });

  it('serves index.html at / with no-cache and the security headers', async () => {
    const res = await raw(server.port, 'GET', '/');
    expect(res.status).toBe(200);
    expect(res.body).toBe(INDEX);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
  });

  it('serves hashed assets with their content type and a year-long immutable cache', async () => {
    const js = await raw(server.port, 'GET', '/assets/index-Ab12.js');
    expect(js).toMatchObject({ status: 200, body: 'console.log("app")' });
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const css = await raw(server.port, 'GET', '/assets/index-Cd34.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.headers['x-content-type-options']).toBe('nosniff');
  });

  it('answers HEAD with the headers and no body', async () => {
    const res = await raw(server.port, 'HEAD', '/assets/index-Ab12.js');
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
    expect(res.headers['content-length']).toBe(String('console.log("app")'.length));
  });

  it('serves /config.json for token sign-in on the same origin', async () => {
    const res = await raw(server.port, 'GET', '/config.json');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ auth: 'token', apiUrl: '' });
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it.each([
    '/assets/../secret.txt',
    '/assets/../../secret.txt',
    '/assets/..%2F..%2Fsecret.txt',
    '/assets/%2e%2e/secret.txt',
    '/assets/sub/x.js',
    '/assets/.hidden',
    '/assets/',
    '/../secret.txt',
    '/secret.txt',
    '/index.html/../secret.txt',
  ])('serves nothing outside the assets for %s', async (path) => {
    const res = await raw(server.port, 'GET', path);
    expect(res.status).toBe(404);
    expect(res.body).not.toContain(SECRET);
  });

  it('leaves the API routes to the API: its own authentication, and no console file for other methods', async () => {
    expect((await raw(server.port, 'GET', '/alarms')).status).toBe(401);
    expect(invoked).toEqual([]);
    const post = await raw(server.port, 'POST', '/');
    expect(post.status).toBe(404);
    expect(JSON.parse(post.body).message).toMatch(/no route POST \//);
  });

  it('says how to build the console when it is not built, and the API still answers', async () => {
    const res = await raw(missing.port, 'GET', '/');
    expect(res.status).toBe(503);
    expect(res.body).toContain('npm run console:build');
    expect((await raw(missing.port, 'GET', '/config.json')).status).toBe(200);
    expect((await raw(missing.port, 'GET', '/alarms')).status).toBe(401);
  });
});
