import { MqttPacketMeter, PUBLISH_TYPE } from './mqtt-connection.guard';

/** An MQTT packet: type byte, remaining length (variable-length encoding), body. */
function packet(type: number, bodyLength: number): Buffer {
  const length: number[] = [];
  let n = bodyLength;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    length.push(byte);
  } while (n > 0);
  return Buffer.concat([Buffer.from([type << 4, ...length]), Buffer.alloc(bodyLength, 0x61)]);
}

describe(MqttPacketMeter.name, () => {
  it('finds packet ends across any chunking, with their types', () => {
    const stream = Buffer.concat([packet(1, 20), packet(PUBLISH_TYPE, 300), packet(12, 0), packet(PUBLISH_TYPE, 5)]);
    for (const size of [1, 2, 3, 7, 64, stream.length]) {
      const meter = new MqttPacketMeter(1024);
      const ends: number[] = [];
      for (let i = 0; i < stream.length; i += size) {
        expect(meter.feed(stream.subarray(i, i + size), (type) => ends.push(type))).toBeNull();
      }
      expect(ends).toEqual([1, PUBLISH_TYPE, 12, PUBLISH_TYPE]);
    }
  });

  it('says stop as soon as a header announces more than the limit, before the body arrives', () => {
    const meter = new MqttPacketMeter(1024);
    expect(meter.feed(packet(PUBLISH_TYPE, 100))).toBeNull();
    const big = packet(PUBLISH_TYPE, 200_000_000 / 1000).subarray(0, 4); // header only
    expect(meter.feed(big)).toMatch(/exceeds 1024/);
    expect(new MqttPacketMeter(1024).feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]))).toMatch(/exceeds/);
  });

  it('rejects a remaining length longer than 4 bytes', () => {
    expect(new MqttPacketMeter(1 << 30).feed(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01]))).toMatch(/malformed/);
  });
});
