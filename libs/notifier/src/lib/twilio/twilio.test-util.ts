import { FireiotConfig, loadConfig } from '@fireiot/config';
import { TwilioFakeServer } from '@fireiot/testing';
import { AlertNotice } from '../channel.port';

export const FROM = '+15005550006';
export const TO = '+8613800138000';

/** The platform's configuration pointed at a fake Twilio (the way an operator sets the environment). */
export function configFor(
  fake: TwilioFakeServer | null,
  overrides: Readonly<Record<string, string | undefined>> = {},
): FireiotConfig {
  return loadConfig({
    TWILIO_ACCOUNT_SID: fake?.accountSid,
    TWILIO_AUTH_TOKEN: fake?.authToken,
    TWILIO_FROM: fake === null ? undefined : FROM,
    TWILIO_API_BASE: fake?.baseUrl,
    FIREIOT_PUBLIC_URL: 'http://fireiot.test',
    FIREIOT_PROVIDER_TIMEOUT_MS: '300',
    FIREIOT_LOG_LEVEL: 'error',
    ...overrides,
  });
}

export function notice(overrides: Partial<AlertNotice> = {}): AlertNotice {
  return {
    alertId: 'al-1',
    unitId: 'unit-1',
    deviceId: 'dev-1',
    deviceKey: 'uitd:889',
    kind: 'fire-alarm',
    clause: '4.3.1',
    item: null,
    title: '火警 Fire alarm: 烟感 smoke detector 1-131082',
    location: '3号楼 厨房',
    receivedAt: '2024-05-01T10:03:04.123456Z',
    restores: null,
    ...overrides,
  };
}
