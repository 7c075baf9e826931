// The message types the Client API speaks, re-exported from generated code
// so that callers import them from one place.
export {
  type Container,
  type ContainerConfig,
  type ExitStatus,
  type ProcessInfo,
  type ProcessSummary,
  type Stats,
  type Event,
  type ProcessSpec,
  type Resources,
  Status,
  EventType,
  LogStream,
  ContainerSchema,
  ExitStatusSchema,
  ProcessInfoSchema,
  ProcessSummarySchema,
  StatsSchema,
  EventSchema,
  ProcessSpecSchema,
  ResourcesSchema,
  RestartPolicy_Kind,
} from "../gen/berth/v1/types_pb.js";
export { WaitCondition, CreateRequestSchema } from "../gen/berth/v1/containers_pb.js";
export { type Network, type NetworkEndpoint, NetworkSchema } from "../gen/berth/v1/networks_pb.js";
export { type NetworkAttachment, type PortBinding } from "../gen/berth/v1/types_pb.js";
export { type PulledImage, type PullProgress, PullProgress_State, PulledImageSchema, PullProgressSchema } from "../gen/berth/v1/images_pb.js";
export { type Image, type ImageConfig, ImageSchema } from "../gen/berth/v1/images_pb.js";
export { type InfoResponse as HostInfo, InfoResponseSchema as HostInfoSchema } from "../gen/berth/v1/system_pb.js";
