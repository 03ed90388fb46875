import { DynamicModule, InjectionToken, Module, ModuleMetadata, Provider, Type } from '@nestjs/common';
import { FIREIOT_CONFIG, FireiotConfig } from '@fireiot/config';
import { PROVIDER_STATUS_SINK, ProviderStatusSink, SMS_CHANNEL, VOICE_CHANNEL } from '../channel.port';
import { TwilioSmsChannel, TwilioVoiceChannel } from './twilio.channel';
import { TwilioStatusController } from './twilio-status.controller';
import { TwilioStatusService } from './twilio-status.service';

/**
 * `SMS_CHANNEL` and `VOICE_CHANNEL` alone (`ProviderChannel`; "not configured" when TWILIO_* are
 * unset), built from `FIREIOT_CONFIG`, which a global module provides (the runtime's
 * ConfigModule). No status sink needed: the module that dispatches (and records attempts) can
 * import it without a cycle. A static module, so the channels are one instance each however
 * many modules import it.
 */
@Module({
  providers: [
    {
      provide: SMS_CHANNEL,
      useFactory: (config: FireiotConfig) => new TwilioSmsChannel(config),
      inject: [FIREIOT_CONFIG],
    },
    {
      provide: VOICE_CHANNEL,
      useFactory: (config: FireiotConfig) => new TwilioVoiceChannel(config),
      inject: [FIREIOT_CONFIG],
    },
  ],
  exports: [SMS_CHANNEL, VOICE_CHANNEL],
})
export class TwilioChannelsModule {}

export interface TwilioModuleOptions {
  /**
   * Where delivery reports go (`PROVIDER_STATUS_SINK`):
   * - a class: this module instantiates it, its own dependencies resolved from `imports` and
   *   global modules;
   * - `{ useExisting: token }`: a provider that one of `imports` exports (one shared instance,
   *   e.g. `{ imports: [NotifierCoreModule], statusSink: { useExisting: AttemptRecorder } }`).
   */
  readonly statusSink: Type<ProviderStatusSink> | { readonly useExisting: InjectionToken };
  /** Modules the sink needs (or that export it). */
  readonly imports?: ModuleMetadata['imports'];
}

/**
 * SMS and voice through Twilio, and the delivery-report endpoint
 * (`TwilioStatusController`, `POST /api/providers/twilio/status`).
 *
 * Exports `SMS_CHANNEL` and `VOICE_CHANNEL` (re-exporting TwilioChannelsModule). The status sink
 * is named where the module is imported, `forRoot({ statusSink })`, rather than expected as a
 * global provider: the wiring stays visible in the composition and a missing sink is a boot
 * error naming this module.
 */
@Module({})
export class TwilioModule {
  static forRoot(options: TwilioModuleOptions): DynamicModule {
    const sink: Provider =
      typeof options.statusSink === 'function'
        ? { provide: PROVIDER_STATUS_SINK, useClass: options.statusSink }
        : { provide: PROVIDER_STATUS_SINK, useExisting: options.statusSink.useExisting };
    return {
      module: TwilioModule,
      imports: [TwilioChannelsModule, ...(options.imports ?? [])],
      controllers: [TwilioStatusController],
      providers: [sink, TwilioStatusService],
      exports: [TwilioChannelsModule],
    };
  }
}
