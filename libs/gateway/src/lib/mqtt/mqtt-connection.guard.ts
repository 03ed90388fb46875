import { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { ReceiveClock, ReceiveTime } from '@fireiot/events';
import { MqttIngestError } from './mqtt-ingest.error';

/** MQTT control packet type of PUBLISH (MQTT 3.1.1 §2.2.1). */
export const PUBLISH_TYPE = 3;

/**
 * Follows MQTT packet boundaries in a byte stream by their fixed headers (MQTT 3.1.1 §2.2: one
 * type byte, then the remaining length in 1–4 bytes of 7 bits), without decoding anything, and
 * says when a packet announces more than `maxPacketBytes` in total. aedes' parser has no size
 * limit of its own: it would buffer whatever a peer announces (up to 256 MiB per packet).
 */
export class MqttPacketMeter {
  private state: 'type' | 'length' | 'body' = 'type';
  private type = 0;
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;

  constructor(private readonly maxPacketBytes: number) {}

  /**
   * Feeds the next bytes; calls `onPacketEnd` with the type of each packet whose last byte is in
   * this chunk; returns why the stream must be cut, or null.
   */
  feed(chunk: Buffer, onPacketEnd: (type: number) => void = () => undefined): string | null {
    let i = 0;
    while (i < chunk.length) {
      switch (this.state) {
        case 'type':
          this.type = chunk.readUInt8(i++) >> 4;
          this.state = 'length';
          this.length = 0;
          this.multiplier = 1;
          this.lengthBytes = 0;
          break;
        case 'length': {
          const byte = chunk.readUInt8(i++);
          this.length += (byte & 0x7f) * this.multiplier;
          this.multiplier *= 128;
          this.lengthBytes++;
          if (byte & 0x80) {
            if (this.lengthBytes === 4) return 'malformed remaining length';
            break;
          }
          const total = 1 + this.lengthBytes + this.length;
          if (total > this.maxPacketBytes) return `packet of ${total} bytes exceeds ${this.maxPacketBytes}`;
          this.remaining = this.length;
          this.state = 'body';
          if (this.remaining === 0) {
            this.state = 'type';
            onPacketEnd(this.type);
          }
          break;
        }
        case 'body': {
          const take = Math.min(this.remaining, chunk.length - i);
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) {
            this.state = 'type';
            onPacketEnd(this.type);
          }
          break;
        }
      }
    }
    return null;
  }
}

export interface GuardedConnectionOptions {
  readonly maxPacketBytes: number;
  readonly clock: ReceiveClock;
  /** Called once when the connection is cut for an oversize or malformed packet. */
  readonly onViolation: (reason: string, peer: string) => void;
}

/**
 * The stream the embedded broker hands to aedes in place of the raw socket: bytes pass through
 * unchanged (with the socket's backpressure), but
 *   - the connection is destroyed as soon as a packet header announces more than the limit, and
 *   - each PUBLISH gets its receive time when the chunk holding its last byte is read (the rule
 *     of issue 3 for frames), kept in arrival order: aedes authorizes the PUBLISH packets of a
 *     connection in the order they were received, and takes them one by one with
 *     `takePublishReceiveTime()`. aedes reads the socket's next bytes only once the packets
 *     already read are handled (stored), so a time taken at authorization would be late by the
 *     storage latency under load; this one is not.
 */
export class GuardedMqttConnection extends Duplex {
  readonly peer: string;
  private readonly meter: MqttPacketMeter;
  private readonly publishTimes: ReceiveTime[] = [];
  private publishHead = 0;

  constructor(
    private readonly socket: Socket,
    options: GuardedConnectionOptions,
  ) {
    super({ allowHalfOpen: false });
    this.peer = `${socket.remoteAddress ?? 'unknown'}:${socket.remotePort ?? 0}`;
    this.meter = new MqttPacketMeter(options.maxPacketBytes);
    socket.on('data', (chunk: Buffer) => {
      const receivedAt = options.clock.now();
      const violation = this.meter.feed(chunk, (type) => {
        if (type === PUBLISH_TYPE) this.publishTimes.push(receivedAt);
      });
      if (violation !== null) {
        options.onViolation(violation, this.peer);
        this.destroy(new MqttIngestError('publish-refused', violation));
        return;
      }
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (error) => this.destroy(error));
    socket.on('close', () => this.destroy());
  }

  /** Receive time of the oldest PUBLISH not yet taken (null if none: then take the time now). */
  takePublishReceiveTime(): ReceiveTime | null {
    if (this.publishHead >= this.publishTimes.length) return null;
    const time = this.publishTimes[this.publishHead++] as ReceiveTime;
    if (this.publishHead === this.publishTimes.length) {
      this.publishTimes.length = 0;
      this.publishHead = 0;
    }
    return time;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.socket.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }
}
