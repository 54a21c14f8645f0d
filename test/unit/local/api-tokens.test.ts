import { describe, expect, it } from 'vitest';
import { parseApiTokens } from '../../../infra/local/api-token';

const FILE = '/data/api-tokens.json';
const admin = { name: 'local-admin', token: 'the-admin-token-0123456789' };

describe('api-tokens.json', () => {
  it('reads named tokens with roles', () => {
    const tokens = parseApiTokens(
      JSON.stringify([
        { name: 'operator-ma', role: 'operator', token: 'op-ma-0123456789abcdef' },
        { name: 'li@county.example.cn', role: 'engineer', token: 'eng-li-0123456789abcdef' },
      ]),
      FILE,
      admin,
    );
    expect(tokens).toEqual([
      { name: 'operator-ma', role: 'operator', token: 'op-ma-0123456789abcdef' },
      { name: 'li@county.example.cn', role: 'engineer', token: 'eng-li-0123456789abcdef' },
    ]);
  });

  it('refuses the whole file, naming every bad entry and what is wrong with it', () => {
    const text = JSON.stringify([
      { name: 'ok', role: 'viewer', token: 'viewer-token-0123456789' },
      { name: 'crew', role: 'driver', token: 'short' },
      { role: 'viewer', token: 'another-token-0123456789', extra: 1 },
      { name: 'ok', role: 'viewer', token: 'third-token-0123456789' },
      { name: 'copy', role: 'admin', token: admin.token },
      'x',
    ]);
    let message = '';
    try {
      parseApiTokens(text, FILE, admin);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message.split('\n')).toEqual([
      `${FILE} is invalid:`,
      '  entry 2 ("crew"): role: must be one of viewer, sanitation, operator, engineer, admin',
      '  entry 2 ("crew"): token: at least 16 characters, no white space (e.g. openssl rand -base64 24)',
      '  entry 3: unknown field "extra"',
      '  entry 3: name: 1–100 characters of letters, digits, ".", "_", "@" and "-", starting with a letter or digit',
      '  entry 4 ("ok"): name: "ok" is taken',
      '  entry 5 ("copy"): token: the same token as another entry or the admin token',
      '  entry 6: must be an object {"name","role","token"}',
    ]);
    expect(message).not.toContain(admin.token);
  });

  it('refuses the administrator’s name, a file that is not JSON, and one that is not an array', () => {
    expect(() =>
      parseApiTokens(
        JSON.stringify([{ name: 'local-admin', role: 'viewer', token: 'x'.repeat(20) }]),
        FILE,
        admin,
      ),
    ).toThrow(/entry 1 \("local-admin"\): name: "local-admin" is taken/);
    expect(() => parseApiTokens('[{"name":', FILE, admin)).toThrow(`${FILE} is not JSON`);
    expect(() => parseApiTokens('{"name":"a"}', FILE, admin)).toThrow(`${FILE} must be a JSON array`);
  });
});
