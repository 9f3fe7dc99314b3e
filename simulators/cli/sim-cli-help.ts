/* Help texts of `station-sim`, one per subcommand. */

const TRANSPORT_MODBUS = `Transport (one of; default --tcp 5020):
      --tcp PORT           Modbus TCP on PORT (0: any free port, printed)
      --rtu-tcp PORT       Modbus RTU frames over TCP (an RS-485-to-Ethernet converter)
      --serial DEV         Modbus RTU on a real serial device (e.g. /dev/ttyUSB0)
      --pty [PATH]         Modbus RTU on a pseudo-terminal; the master opens PATH (default: a
                           new path under the temp dir, printed)
      --host ADDR          TCP listen address (default 127.0.0.1)
      --baud N             line speed for --serial/--pty/--rtu-tcp (default 9600)
      --unit N             Modbus unit id (default: the profile's: cabinet 1, dispenser 2, occupancy 3,
                           smoke detector 9 for the reference profiles)

Profile:
      --profile FILE       the vendor's profile to simulate: a path to its YAML, or the id of a
                           shipped one (config/profiles/); default: the kind's reference profile.
                           The device follows the profile's roles: its state codes, its command
                           shapes (a slot-number register, pulses, per-slot switches) and the parts
                           it lacks, so a new vendor's file can be proved on a bench`;

const TRANSPORT_LINE = `Transport (one of; default --pty):
      --serial DEV         a real serial device (e.g. /dev/ttyUSB0)
      --pty [PATH]         a pseudo-terminal; the gateway opens PATH (default: under the temp dir, printed)
      --tcp PORT           raw TCP on PORT, as a serial device server (ser2net, Moxa NPort) serves
                           the port: the gateway's transport serial-tcp (0: any free port, printed)
      --host ADDR          TCP listen address (default 127.0.0.1)
      --baud N             line speed (default 9600)`;

const DEVICE_ONLY = `      --id ID              device id in commands and the control API (default: <kind>-1)
      --fault SPEC         start with a wire fault: silent, "delay 300", "exception 4", corrupt,
                           partial, garbage (repeatable; same words as "fault ..." below)
`;

const SHARED = `      --seed N             random seed (default 1): same seed, same device life
      --do COMMAND         run a control command once started (repeatable)
      --scenario FILE      replay a YAML timeline of commands (see README)
      --baud-timing        pace answers as a real line at --baud: 11 bits a character for Modbus
                           RTU, 10 for the 8N1 line devices; t3.5 silence; a response delay
      --response-delay MS  with --baud-timing: think time before answering (default 5)
      --bits-per-char N    with --baud-timing: override bits per character (10 for 8N1 Modbus)
      --control-port N     HTTP control API on 127.0.0.1:N (default: a free port, printed)
  -h, --help               this help

Control: type commands on stdin ("help" lists them), or POST {"command": "..."} to
<control>/devices/<id>/commands with Content-Type: application/json (other origins are refused).
Ctrl-C or SIGTERM stops.`;

const COMMON = `Common options:\n${DEVICE_ONLY}${SHARED}`;

export const HELP: Record<string, string> = {
  main: `Usage: station-sim <device> [options]    a single simulated device
       station-sim station --config FILE [options]

Devices: lock, scanner, cabinet, dispenser, occupancy, smoke, station. "station-sim <device> --help"
for each one's options. Many stations at once, for the console: station-fleet simulate.

Examples:
  station-sim cabinet --tcp 5020 --unit 1 --slots 8
  station-sim cabinet --tcp 5020 --profile profiles/our-vendor-cabinet.yaml
  station-sim dispenser --pty
  station-sim lock --serial /dev/ttyUSB0
  station-sim station --config station.yaml --scenario night-fault.yaml`,

  station: `Usage: station-sim station --config FILE [options]

Simulates every device that the station file names, on the addresses it names: Modbus TCP and
RTU-over-TCP devices on TCP listeners, Modbus RTU and serial devices on pseudo-terminals linked
at the configured paths (the gateway opens them as it would a USB adapter; devices on one path
share one simulated RS-485 bus). GPIO devices are not simulated. Runs until Ctrl-C or SIGTERM.

Options:
  -c, --config FILE        station configuration (YAML)
      --walk-through       someone walks through each door the lock releases
${SHARED}`,

  cabinet: `Usage: station-sim cabinet [options]

A battery-swap cabinet (profile cabinet-ref, or --profile): batteries charge over time, doors open
when commanded and close again, temperatures drift ("slot N heat 5" makes one rise fast).

${TRANSPORT_MODBUS}

Cabinet:
      --slots N            number of slots, 1..24 (default 8)
      --smoke              start with the smoke detector raised

${COMMON}`,

  dispenser: `Usage: station-sim dispenser [options]

A water dispenser (profile dispenser-ref, or --profile): a thermostat holds the hot tank, sessions
count volume ("session 500" on the control channel, or a few seconds after the master enables
dispensing again).

${TRANSPORT_MODBUS}

Dispenser:
      --tank PCT           initial tank level (0: empty, supply cut)
      --filter PCT         initial filter life (≤ 10: filter due)
      --leak               start with the leak sensor raised

${COMMON}`,

  occupancy: `Usage: station-sim occupancy [options]

An mmWave occupancy sensor (profile occupancy-ref, or --profile): people come, sit, move and leave
by chance.

${TRANSPORT_MODBUS}

Occupancy:
      --people N           people present at start
      --calm               nobody comes or goes by chance (only by command)

${COMMON}`,

  smoke: `Usage: station-sim smoke [options]

A Modbus smoke detector (profile smoke-ref, or --profile): "smoke on" fills its chamber and raises
the alarm, "sensor fault" makes it report a fault of its own.

${TRANSPORT_MODBUS}

Smoke detector:
      --smoke              start with smoke in the chamber

${COMMON}`,

  lock: `Usage: station-sim lock [options]

A door lock controller speaking the line protocol (<seq> <VERB> ...*CS), 8N1.

${TRANSPORT_LINE}

Lock:
      --doors N            number of doors (default 2)
      --firmware TEXT      firmware string (default "LK-REF 1.4.2")
      --jammed N           door N's bolt is jammed (repeatable)
      --walk-through       someone walks through each released door (contact opens, closes)

${COMMON}`,

  scanner: `Usage: station-sim scanner [options]

A QR scanner: one scan per line ("scan <text>" on the control channel).

${TRANSPORT_LINE}

Scanner:
      --terminator T       crlf (default), cr or lf

${COMMON}`,
};
