import { createHash, type Hash } from 'node:crypto';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';

/**
 * AWS IoT Core's message size limit: "The payload for every PUBLISH message is limited to 128 KB" (AWS IoT Core
 * message broker quotas), read here as 128 KiB. The local broker refuses what the cloud would refuse.
 */
export const MAX_PUBLISH_PAYLOAD_BYTES = 128 * 1024;

/** How much of a refused message's payload is kept for a human to look at. */
export const QUARANTINE_PREFIX_BYTES = 4 * 1024;

const PUBLISH = 3;

/** An oversize PUBLISH the guard refused: what the quarantine needs, without the payload itself. */
export interface OversizePublish {
  topic: string;
  /** MQTT client id, when the connection had authenticated before the packet ended. */
  clientId?: string;
  /** The payload length the packet declared. */
  payloadBytes: number;
  /** Bytes of payload that arrived before the packet ended or the connection dropped. */
  receivedBytes: number;
  /** sha256 (hex) of the bytes that arrived; of the whole payload when receivedBytes = payloadBytes. */
  sha256: string;
  /** The first bytes of the payload, at most `prefixBytes`. */
  prefix: Buffer;
}

export interface SizeGuardOptions {
  maxPayloadBytes?: number;
  prefixBytes?: number;
  onOversize(publish: OversizePublish): void;
  log?: (line: string) => void;
}

type State =
  | { kind: 'header'; bytes: number[] }
  | { kind: 'publish-head'; header: Buffer; remaining: number; held: Buffer[]; heldBytes: number }
  | { kind: 'pass'; left: number }
  | {
      kind: 'discard';
      topic: string;
      payloadBytes: number;
      left: number;
      hash: Hash;
      prefix: Buffer[];
      prefixBytes: number;
    }
  | { kind: 'closed' };

/**
 * Sits between a TCP socket and aedes, which (like mqtt-packet, aedes issue #831) has no maximum packet size and
 * buffers a whole packet before parsing it: a 250 MB publish would be held in memory whole. The guard reads each
 * packet's fixed header, forwards packets within the limit untouched, and for an oversize PUBLISH keeps the topic
 * and a bounded prefix, hashes the rest as it streams past, reports it and closes the connection. Any other packet
 * type over the limit closes the connection at once: there is no message in it to record.
 */
export class MqttSizeGuard extends Duplex {
  /** Set by aedes (`conn.client = this`) when it adopts the stream. */
  client?: { id: string | null; connected: boolean };

  private state: State = { kind: 'header', bytes: [] };
  private readonly max: number;
  private readonly prefixMax: number;

  constructor(
    private readonly socket: Socket,
    private readonly options: SizeGuardOptions,
  ) {
    super({ allowHalfOpen: false });
    this.max = options.maxPayloadBytes ?? MAX_PUBLISH_PAYLOAD_BYTES;
    this.prefixMax = options.prefixBytes ?? QUARANTINE_PREFIX_BYTES;
    socket.on('data', (chunk: Buffer) => this.consume(chunk));
    socket.on('end', () => {
      this.endOfInput();
      this.push(null);
    });
    socket.on('close', () => {
      this.endOfInput();
      this.destroy();
    });
    socket.on('error', (err) => this.destroy(err));
    socket.on('drain', () => this.emit('drain'));
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.socket.destroyed) {
      callback(new Error('connection closed'));
      return;
    }
    this.socket.write(chunk, encoding, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.state = { kind: 'closed' };
    this.socket.destroy();
    callback(error);
  }

  private forward(bytes: Buffer): void {
    if (bytes.length > 0 && !this.push(bytes)) this.socket.pause();
  }

  private consume(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      const s = this.state;
      switch (s.kind) {
        case 'closed':
          return;
        case 'header': {
          const byte = chunk[at++] as number;
          s.bytes.push(byte);
          if (s.bytes.length === 1) break;
          if (byte & 0x80) {
            // The remaining length is at most four bytes (MQTT 3.1.1, 2.2.3).
            if (s.bytes.length === 5) {
              this.refuse('malformed remaining length');
              return;
            }
            break;
          }
          this.afterHeader(Buffer.from(s.bytes));
          break;
        }
        case 'pass': {
          const n = Math.min(s.left, chunk.length - at);
          this.forward(chunk.subarray(at, at + n));
          at += n;
          s.left -= n;
          if (s.left === 0) this.state = { kind: 'header', bytes: [] };
          break;
        }
        case 'publish-head': {
          const n = Math.min(s.remaining - s.heldBytes, chunk.length - at);
          s.held.push(Buffer.from(chunk.subarray(at, at + n)));
          s.heldBytes += n;
          at += n;
          this.decidePublish(s);
          break;
        }
        case 'discard': {
          const n = Math.min(s.left, chunk.length - at);
          const part = chunk.subarray(at, at + n);
          s.hash.update(part);
          if (s.prefixBytes < this.prefixMax) {
            const keep = Buffer.from(part.subarray(0, this.prefixMax - s.prefixBytes));
            s.prefix.push(keep);
            s.prefixBytes += keep.length;
          }
          at += n;
          s.left -= n;
          if (s.left === 0) {
            this.report(s);
            return;
          }
          break;
        }
      }
    }
  }

  private afterHeader(header: Buffer): void {
    let remaining = 0;
    for (let i = header.length - 1; i >= 1; i--) remaining = remaining * 128 + ((header[i] as number) & 0x7f);
    const type = (header[0] as number) >> 4;
    if (remaining <= this.max) {
      this.forward(header);
      this.state = remaining === 0 ? { kind: 'header', bytes: [] } : { kind: 'pass', left: remaining };
      return;
    }
    if (type !== PUBLISH) {
      this.refuse(`packet type ${type} of ${remaining} bytes is over the ${this.max}-byte limit`);
      return;
    }
    // The payload size depends on the topic length, so hold the variable header until it is known.
    this.state = { kind: 'publish-head', header, remaining, held: [], heldBytes: 0 };
  }

  private decidePublish(s: Extract<State, { kind: 'publish-head' }>): void {
    const head = Buffer.concat(s.held);
    s.held = [head];
    if (head.length < 2) return;
    const qos = ((s.header[0] as number) >> 1) & 0x03;
    const variableHeader = 2 + head.readUInt16BE(0) + (qos > 0 ? 2 : 0);
    if (variableHeader > s.remaining) {
      this.refuse('publish shorter than its own topic');
      return;
    }
    if (head.length < variableHeader) return;
    const payloadBytes = s.remaining - variableHeader;
    const topic = head.subarray(2, 2 + head.readUInt16BE(0)).toString('utf8');
    const payloadSoFar = head.subarray(variableHeader);
    if (payloadBytes <= this.max) {
      this.forward(Buffer.concat([s.header, head]));
      const left = s.remaining - head.length;
      this.state = left === 0 ? { kind: 'header', bytes: [] } : { kind: 'pass', left };
      return;
    }
    const prefix = Buffer.from(payloadSoFar.subarray(0, this.prefixMax));
    const discard: Extract<State, { kind: 'discard' }> = {
      kind: 'discard',
      topic,
      payloadBytes,
      left: payloadBytes - payloadSoFar.length,
      hash: createHash('sha256').update(payloadSoFar),
      prefix: [prefix],
      prefixBytes: prefix.length,
    };
    this.state = discard;
    if (discard.left === 0) this.report(discard);
  }

  /** The connection ended inside an oversize publish: record what arrived. */
  private endOfInput(): void {
    const s = this.state;
    if (s.kind === 'discard') this.report(s);
  }

  private report(s: Extract<State, { kind: 'discard' }>): void {
    this.state = { kind: 'closed' };
    const client = this.client;
    const publish: OversizePublish = {
      topic: s.topic,
      payloadBytes: s.payloadBytes,
      receivedBytes: s.payloadBytes - s.left,
      sha256: s.hash.digest('hex'),
      prefix: Buffer.concat(s.prefix),
    };
    if (client?.connected && client.id) publish.clientId = client.id;
    this.options.log?.(
      `refused a ${s.payloadBytes}-byte publish${publish.clientId ? ` by ${publish.clientId}` : ''} on ${s.topic}: over the ${this.max}-byte message limit`,
    );
    this.options.onOversize(publish);
    this.destroy();
  }

  private refuse(why: string): void {
    this.options.log?.(`closed an MQTT connection${this.client?.id ? ` (${this.client.id})` : ''}: ${why}`);
    this.destroy();
  }
}
