// How the engineering pages show a raw device payload: decoded from the API's base64 into bytes, then as a hex dump
// and as printable text. Everything here returns plain strings that the pages put into text nodes, so a payload that
// holds markup is shown, never run.

/** Bytes of a base64 string (the API's `payloadBase64`); an invalid string gives no bytes rather than throwing. */
export function base64Bytes(base64: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(base64);
  } catch {
    return new Uint8Array(0);
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const hex2 = (b: number) => b.toString(16).padStart(2, '0');

/** A byte as a printable ASCII character, or "." for control and non-ASCII bytes. */
const printable = (b: number) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.');

/**
 * A classic hex dump, 16 bytes a line: offset, the bytes in hex, then the printable ASCII of them, e.g.
 * `00000000  7b 22 76 22 3a 31 7d                             |{"v":1}|`. At most `maxBytes` bytes are dumped.
 */
export function hexDump(bytes: Uint8Array, maxBytes = 4096): string {
  const n = Math.min(bytes.length, maxBytes);
  const lines: string[] = [];
  for (let off = 0; off < n; off += 16) {
    const row = Array.from(bytes.subarray(off, Math.min(off + 16, n)));
    const hex = row
      .map(hex2)
      .join(' ')
      .padEnd(16 * 3 - 1, ' ');
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex}  |${row.map(printable).join('')}|`);
  }
  if (bytes.length > n) lines.push(`… ${bytes.length - n} more bytes`);
  return lines.join('\n');
}

/**
 * The payload as text for reading: control characters other than newline and tab shown as `\xNN`, so a payload
 * with escape sequences or NULs cannot hide what follows. Invalid UTF-8 shows as U+FFFD.
 */
export function visibleText(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) => `\\x${hex2(c.charCodeAt(0))}`);
}

/** A byte count as people read it: 512 B, 8.0 KiB, 1.2 MiB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}
