import type { Device } from '../../functions/core/registry';

/** What IoT accepts in an attribute value: letters, digits and `_.,@/:#=[]-`, at most 800 characters. */
const DISALLOWED = /[^a-zA-Z0-9_.,@/:#=[\]-]+/g;

/**
 * The thing's attributes: kind, site and township, three being all a thing without a thing type may have. IoT refuses
 * spaces and non-Latin letters in values, so runs of them become `_` ("Tashkurgan Town" → `Tashkurgan_Town`); a value
 * left with nothing but `_` is omitted. They are for searching the registry; the fleet file stays the truth.
 */
export function thingAttributes(device: Device): Record<string, string> {
  const attributes: Record<string, string> = {};
  const put = (key: string, value: string) => {
    const clean = value.replace(DISALLOWED, '_').slice(0, 800);
    if (/[^_]/.test(clean)) attributes[key] = clean;
  };
  put('kind', device.kind);
  put('siteId', device.siteId);
  put('township', device.township);
  return attributes;
}

/** Whether the thing already carries every attribute with the same value. */
export function hasAttributes(current: Record<string, string>, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([k, v]) => current[k] === v);
}
