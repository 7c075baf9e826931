// The network's programs (CNI plugins, unshare, iptables) run through the
// runtime's quickSpawn (node's spawn, not execa: see there why).
export { quickSpawn, type QuickOptions, type QuickResult } from "../runtime/quick-spawn.js";
