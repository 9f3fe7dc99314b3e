/**
 * Node flags for the gateway process, where this package starts it itself (the demo, the benches).
 * Under systemd the unit's command line gives them to the launcher, which starts the gateway with
 * its own flags (deploy/station-gateway.service). Measured on the demo station in
 * docs/benchmarks.md (memory and start-up):
 *
 * `--max-semi-space-size=1`: V8's young generation otherwise grows to two 16 MB semi-spaces, all
 * of it resident once touched, for a process whose live heap is about 16 MB. Resident memory 129 MB
 * with the default against 98 MB with 1 MB, at a CPU cost within the noise of a shared machine
 * (more, shorter scavenges of a heap that allocates little).
 *
 * `--no-opt`: no TurboFan. Its compiler's code in the node binary, its optimised code and the zone
 * memory it compiles in stay out of the process: about 7 MB resident. The gateway's hot paths are
 * short and I/O bound (a poll's decode, a token check, a batch of inserts that SQLite does in C),
 * and Sparkplug still compiles them past the interpreter; what it costs is measured beside the
 * memory (the drain, store and unlock lines run under it too).
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--no-opt'];
