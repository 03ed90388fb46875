/**
 * Simulated GB/T 26875.3 user information transmission devices (UITDs): one device
 * (`SimulatedUitd`) or a swarm of them (`UitdSwarm`) talking TCP to a centre, for `npm run demo`,
 * the gateway's integration tests and load tests (`fireiot simulate`).
 */
export {
  SimulatedUitd,
  type PostKind,
  type UitdShared,
  type UploadOutcome,
  type UploadResult,
} from './lib/simulated-uitd.device';
export { UitdSwarm, type SwarmStopOptions } from './lib/uitd-swarm.service';
export {
  addressBytes,
  MAX_ADDRESS,
  parseAddress,
  resolveSwarmOptions,
  resolveUitdOptions,
  type ResolvedSwarmOptions,
  type ResolvedUitdOptions,
  type SwarmOptions,
  type UitdBehaviour,
  type UitdOptions,
} from './lib/simulator.options';
export {
  allConfirmed,
  SimulatorCounters,
  UPLOAD_KINDS,
  type SimulatorStats,
  type UploadKind,
} from './lib/simulator.stats';
export { LatencyHistogram, type LatencySummary } from './lib/latency.histogram';
export { componentAt, type SimulatedComponent } from './lib/component.catalog';
export { planDownlink, type DownlinkDevice, type DownlinkOutcome, type DownlinkPlan } from './lib/downlink.responder';
export { FrameTemplate, UploadTemplates } from './lib/frame.template';
export { RetransmitQueue, type Expiring } from './lib/retransmit.queue';
