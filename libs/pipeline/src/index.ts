export * from './lib/classification.service';
export * from './lib/observation.mapper';
export * from './lib/pipeline.module';
export * from './lib/pipeline.runner';
export * from './lib/processing.watermark';
export * from './lib/raw-replay.repository';
