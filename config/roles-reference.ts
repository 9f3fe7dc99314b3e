import { KIND_CONTRACTS, type CommandRoleSpec, type KindContract, type RoleSpec } from './role-catalogue.js';

/*
 * Renders the roles reference (docs/device-roles.md) from the role catalogue, the same table the
 * gateway's checks and the station logic read, so the documentation cannot drift from what
 * `validate` asks of a profile: a test fails when it is stale (`npm run docs:config`).
 */

const esc = (x: string): string => x.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function required(spec: { required: boolean; unlessLacks?: string }): string {
  if (!spec.required) return '';
  return spec.unlessLacks !== undefined ? `yes, unless \`lacks: [${spec.unlessLacks}]\`` : 'yes';
}

function valueOf(spec: RoleSpec): string {
  if (spec.value !== 'state') return spec.value;
  const needs = spec.needStates?.length ? `; needs ${spec.needStates.map((s) => `\`${s}\``).join(', ')}` : '';
  return `state: ${(spec.states ?? []).map((s) => `\`${s}\``).join(', ')}${needs}`;
}

function rolesTable(contract: KindContract): string {
  const per = (spec: RoleSpec): string => (spec.scope === 'slot' ? (contract.instances ? `each of \`${contract.instances.role}\`` : 'each door') : 'device');
  const rows = contract.roles.map(
    (r) => `| \`${r.scope === 'slot' && contract.instances ? `${contract.instances.role}.` : ''}${r.name}\` | ${per(r)} | ${valueOf(r)} | ${r.unit ?? ''} | ${required(r)} | ${esc(r.use)} | ${esc(r.without)} |`,
  );
  return ['| role | per | value | unit | required | what the station does with it | without it |', '|---|---|---|---|---|---|---|', ...rows].join('\n');
}

function commandsTable(contract: KindContract): string {
  const takes = (c: CommandRoleSpec): string => (c.takes === 'flag' ? 'on/off' : 'nothing');
  const rows = contract.commands.map((c) => `| \`${c.name}\` | ${c.scope === 'slot' ? 'each slot' : 'device'} | ${takes(c)} | ${required(c)} | ${esc(c.use)} | ${esc(c.without)} |`);
  return ['| command role | written for | takes | required | what the station does with it | without it |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

function partsTable(contract: KindContract): string {
  const rows = contract.parts.map((p) => `| \`${p.part}\` | ${esc(p.meaning)} | ${esc(p.instead)} |`);
  return ['| part (`lacks: [...]`) | the model | the station instead |', '|---|---|---|', ...rows].join('\n');
}

function kindSection(contract: KindContract): string {
  const out = [`## \`${contract.kind}\``, ''];
  if (!contract.profiled) {
    out.push('Served by a driver of its own (line protocol or GPIO), not by a profile: these are the roles its typed interface gives the station logic.', '');
  }
  if (contract.instances) {
    out.push(`Per-slot roles are bound under \`roles.${contract.instances.role}\`, with \`group:\` naming the profile group that holds ${contract.instances.what}.`, '');
  }
  out.push('### Roles', '', rolesTable(contract), '');
  if (contract.commands.length > 0) out.push('### Command roles', '', commandsTable(contract), '');
  if (contract.parts.length > 0) out.push('### Parts a model may lack', '', partsTable(contract), '');
  return out.join('\n');
}

export function renderRolesReference(): string {
  const contracts = Object.values(KIND_CONTRACTS);
  const profiled = contracts.filter((c) => c.profiled);
  const own = contracts.filter((c) => !c.profiled);
  return `# Device roles reference

<!-- Generated from device-drivers/capabilities/role-catalogue.ts by \`npm run docs:config\`. Do not edit by hand. -->

The station logic never reads a vendor's point names. It reads **roles**: for a battery cabinet, a
slot's canonical state, its battery temperature, whether its door is open; it gives **command
roles**: open a slot's door, switch a slot's charging. A Modbus device's profile binds its points
and commands to the roles of its kind in \`roles:\` (the profile keys are in
[configuration.md](configuration.md); a walk-through from a vendor's register sheet is in
[new-vendor.md](new-vendor.md)).

## Binding a role

| binding | for | reads |
|---|---|---|
| \`smoke: status.smoke\` or \`{ point: status, bit: smoke }\` | flag roles | one bit of a \`bits\` point |
| \`valveOpen: valveCoil\` | flag roles | a \`bool\` point as it is; an integer point as "not 0" |
| \`doorOpen: { point: door, when: [open] }\` | flag roles | an \`enum\` or number point: yes when the value (label or raw number) is in the list |
| \`mainsOk: { point: status, bit: mainsFail, invert: true }\` | flag roles | the opposite of what the point says |
| \`charge: soc\`, \`{ point: tempK, scale: 1, offset: -273.15 }\` | number roles | point value × scale + offset, in the role's unit |
| \`batteryTemperature: { points: [cellTemp1, cellTemp2] }\` | number roles | several sensors: the highest counts |
| \`state: { point: code, map: { empty: [10], ready: [30, 31], fault: [90] } }\` | state roles | canonical state → the vendor's values (labels of an enum point, or raw numbers) |
| \`state: slotState\` | state roles | an enum point whose labels are the canonical states themselves |
| \`batteryId: serial\` | id roles | a number (0 = no id) or an enum label, as a string |
| \`openSlotDoor: openDoor\` or \`{ command: openDoor }\` | command roles | the profile command that carries it out |

Per-slot roles go under \`roles.slots\` with \`group:\` naming the profile group; they read the
group's points. Device roles read device-wide points. Command roles, the per-slot ones too, are
bound directly under \`roles\`, beside the device roles. A command role takes a command of
\`commands:\`: a per-slot command role needs a command that differs per slot (\`group:\`, one target
per slot, or a value that is an expression of \`slot\` or \`index\`), and an on/off command role needs
a command that writes the caller's value (no fixed \`value\`, or one that uses \`value\`).

## What \`validate\` refuses, and what it notices

\`station-gateway validate\` (and \`run\`, which refuses the same) refuses a profile that would
silently switch behaviour off, one line per problem with the profile file, the line of the binding
(or of \`roles:\` for a role that is missing), the role and what the station would lose:

- a required role or command role not bound (unless the profile declares the part lacking);
- a role name the kind does not have, and a point, bit or command that does not exist (with the
  nearest name: \`smokeDetected\` for \`smoke\`);
- a role bound to a point of the wrong type: a flag on a float32 without \`when\`, a number on an
  enum or bits point, a state on a bits point, a bit of a point that is not \`bits\`, \`when\`
  values an enum cannot produce; a per-slot role on a device-wide point, or the other way round;
- a state map that leaves a value of the enum mapped to no state (a slot reading it counts as
  unknown), a key that is not a canonical state, or no value for a state the logic needs;
- a command role whose command cannot be written as the logic writes it: the same write for every
  slot, a fixed value for an on/off role, a value out of the range of its type for some slot, a
  point that is not writable;
- \`lacks\` naming a part the kind does not have, or a part whose roles are bound all the same
  (the station cannot both use a door sensor and do without one).

Optional roles that are not bound are not errors: \`validate\` lists them after \`ok\` as notices of
what is off (\`cabinet-b.yaml: slots.charge not bound: ready batteries are offered in slot order\`),
and \`run\` logs them once at start.

${profiled.map(kindSection).join('\n')}
${own.map(kindSection).join('\n')}`;
}
