/** Every reading of one device in [from, to] through the HTTP API, following `nextCursor`. */
export async function readAllReadings(
  api: { base: string; token: string },
  deviceId: string,
  from: number,
  to: number,
): Promise<{ ts: number; seq: number }[]> {
  const items: { ts: number; seq: number }[] = [];
  let cursor: string | undefined;
  do {
    const after = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const res = await fetch(
      `${api.base}/devices/${encodeURIComponent(deviceId)}/readings?from=${from}&to=${to}&limit=1000${after}`,
      { headers: { authorization: `Bearer ${api.token}` } },
    );
    if (res.status !== 200)
      throw new Error(`readings of ${deviceId}: HTTP ${res.status} ${await res.text()}`);
    const page = (await res.json()) as { items: { ts: number; seq: number }[]; nextCursor?: string };
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}
