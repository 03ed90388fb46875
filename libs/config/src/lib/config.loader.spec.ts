import { ConfigError } from './config.error';
import { loadConfig } from './config.loader';

describe(loadConfig.name, () => {
  it('gives the contract defaults for an empty environment (embedded mode)', () => {
    const config = loadConfig({});
    expect(config.http.port).toBe(3000);
    expect(config.gb26875.port).toBe(7533);
    expect(config.mqtt).toEqual({ url: null, port: 1883 });
    expect(config.database.url).toBeNull();
    expect(config.dataDir).toBe('./.fireiot');
    expect(config.kafka.brokers).toBeNull();
  });

  it('splits Kafka brokers and treats empty variables as unset', () => {
    const config = loadConfig({ FIREIOT_KAFKA_BROKERS: 'a:9092, b:9092', FIREIOT_DATABASE_URL: '' });
    expect(config.kafka.brokers).toEqual(['a:9092', 'b:9092']);
    expect(config.database.url).toBeNull();
  });

  it('refuses a bad port with a reason naming the variable', () => {
    expect(() => loadConfig({ FIREIOT_GB26875_PORT: 'seventy' })).toThrow(ConfigError);
    expect(() => loadConfig({ FIREIOT_HTTP_PORT: '70000' })).toThrow(/FIREIOT_HTTP_PORT/);
  });

  it('refuses a broker list with no broker in it', () => {
    expect(() => loadConfig({ FIREIOT_KAFKA_BROKERS: ' , ' })).toThrow(/no broker/);
  });
});
