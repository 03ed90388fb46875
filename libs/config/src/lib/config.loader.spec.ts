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
    expect(config.timeZone).toBe('Asia/Shanghai');
    expect(config.web).toEqual({ dir: null });
  });

  it('takes FIREIOT_TIME_ZONE as an IANA zone, in its canonical spelling', () => {
    expect(loadConfig({ FIREIOT_TIME_ZONE: 'Europe/Paris' }).timeZone).toBe('Europe/Paris');
    expect(loadConfig({ FIREIOT_TIME_ZONE: ' asia/shanghai ' }).timeZone).toBe('Asia/Shanghai');
    expect(loadConfig({ FIREIOT_TIME_ZONE: 'UTC' }).timeZone).toBe('UTC');
    expect(loadConfig({ FIREIOT_TIME_ZONE: '' }).timeZone).toBe('Asia/Shanghai');
  });

  it('refuses a time zone the runtime does not know, and UTC offsets, naming the variable', () => {
    for (const zone of ['Mars/Olympus_Mons', '+08:00', 'GMT+8', '../../etc']) {
      expect(() => loadConfig({ FIREIOT_TIME_ZONE: zone })).toThrow(ConfigError);
      expect(() => loadConfig({ FIREIOT_TIME_ZONE: zone })).toThrow(/FIREIOT_TIME_ZONE: an IANA time zone/);
    }
  });

  it('serves the web console only when FIREIOT_WEB_DIR is set (empty = unset)', () => {
    expect(loadConfig({ FIREIOT_WEB_DIR: '/srv/fireiot/web' }).web).toEqual({ dir: '/srv/fireiot/web' });
    expect(loadConfig({ FIREIOT_WEB_DIR: '  ' }).web).toEqual({ dir: null });
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
