import type { ReadingItem } from '../core/reading-item';

export interface ReadingQuery {
  deviceId: string;
  /** Inclusive bounds, epoch ms. */
  from: number;
  to: number;
  limit: number;
  /** Only samples that carry this metric, with only that metric. */
  metric?: string;
  /** Opaque position returned by a previous page. */
  cursor?: string;
  newestFirst?: boolean;
}

export interface ReadingPage {
  items: ReadingItem[];
  cursor?: string;
}

/** The time series: one item per sample. */
export interface ReadingStore {
  /** Stores the items; returns those still unwritten after retries (the caller retries their messages). */
  putItems(items: readonly ReadingItem[]): Promise<ReadingItem[]>;
  query(query: ReadingQuery): Promise<ReadingPage>;
  /** Newest by sample time, not by arrival. */
  latest(deviceId: string): Promise<ReadingItem | undefined>;
}
