// The OCI hook stages (runtime-spec config.md), in the order runc 1.1 runs
// them, named as the proto's Hooks fields are in TypeScript.
export const HOOK_STAGES = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"] as const;
export type HookStage = (typeof HOOK_STAGES)[number];
