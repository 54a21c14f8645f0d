import { describe, expect, it } from 'vitest';
import { base64Bytes, formatBytes, hexDump, visibleText } from '../../../console/src/pages/payload-view';
import {
  chinaMonthOf,
  recentMonths,
  reportHasData,
  separateStyles,
} from '../../../console/src/pages/report-months';

describe('raw payload views', () => {
  it('dumps bytes as offset, hex and printable ASCII, 16 a line', () => {
    const bytes = new TextEncoder().encode('<script>alert(1)</script>\u0000\u00ff');
    const dump = hexDump(bytes).split('\n');
    expect(dump).toHaveLength(2);
    expect(dump[0]).toBe('00000000  3c 73 63 72 69 70 74 3e 61 6c 65 72 74 28 31 29  |<script>alert(1)|');
    // A NUL and the two bytes of ÿ's UTF-8 show as dots on the ASCII side.
    expect(dump[1]).toBe(`00000010  3c 2f 73 63 72 69 70 74 3e 00 c3 bf${' '.repeat(12)}  |</script>...|`);
  });

  it('says how many bytes were left out of a long dump', () => {
    expect(hexDump(new Uint8Array(40), 32).split('\n').at(-1)).toBe('… 8 more bytes');
  });

  it('decodes the API base64 and gives no bytes for an invalid one', () => {
    expect(Array.from(base64Bytes('AP9/'))).toEqual([0, 255, 127]);
    expect(base64Bytes('not base64!').length).toBe(0);
  });

  it('shows control characters as escapes in the text view, keeping newlines and tabs', () => {
    expect(visibleText('a\u001b[31mb\u0000\n\tc')).toBe('a\\x1b[31mb\\x00\n\tc');
  });

  it('formats sizes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(8192)).toBe('8.0 KiB');
  });
});

describe('report months', () => {
  it('lists China-time months newest first, across a year boundary', () => {
    // 2026-01-31 20:00 UTC is already February 1st in China.
    expect(recentMonths(Date.UTC(2026, 0, 31, 20), 3)).toEqual(['2026-02', '2026-01', '2025-12']);
    expect(chinaMonthOf(Date.UTC(2026, 0, 31, 15, 59))).toBe('2026-01');
    expect(chinaMonthOf(Date.UTC(2026, 0, 31, 16))).toBe('2026-02');
  });

  it('calls a report with stored samples or judged samples one with data', () => {
    const empty = { county: { overall: { valid: 0 } }, completeness: [{ received: 0 }] };
    expect(reportHasData(empty as never)).toBe(false);
    expect(reportHasData({ ...empty, completeness: [{ received: 0 }, { received: 3 }] } as never)).toBe(true);
    expect(reportHasData({ ...empty, county: { overall: { valid: 2 } } } as never)).toBe(true);
  });
});

describe('report HTML opened under the console policy', () => {
  it('takes the inline styles out of the report and keeps the rest', () => {
    const html =
      '<html><head><title>R</title><style>body { color: red }</style></head><body><style media="print">h1{}</style><h1>R</h1></body></html>';
    expect(separateStyles(html)).toEqual({
      html: '<html><head><title>R</title></head><body><h1>R</h1></body></html>',
      css: 'body { color: red }\nh1{}',
    });
  });
});
