/**
 * Node flags for the gateway process, where this package starts it itself (the demo, the benches).
 * Under systemd the launcher starts it with the unit's environment: NODE_OPTIONS there is what
 * gives a box the same flags.
 *
 * `--max-semi-space-size=1`: V8's young generation otherwise grows to two 16 MB semi-spaces, all
 * of it resident once touched, for a process whose live heap is about 20 MB. Measured on the
 * demo station (docs/benchmarks.md, memory and start-up): resident memory 129 MB with the default
 * against 98 MB with 1 MB, at a CPU cost within the noise of a shared machine (more, shorter
 * scavenges of a heap that allocates little).
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];
