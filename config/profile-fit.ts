import { isRequired, contractOf, type CommandRoleSpec, type KindContract, type RoleSpec } from './role-catalogue.js';
import type { ConfigProblem } from './config-error.js';
import { commandEncodingProblems } from './command-role-checks.js';
import { loadProfileFile } from './load-profile.js';
import { didYouMean } from './nearest-name.js';
import { bindingProblems, normaliseBinding, type RoleScope } from './role-binding-checks.js';
import type { Profile, RoleBinding } from './profile-schema.js';
import { Findings, type ProfileSource } from './profile-findings.js';

/*
 * Whether a profile that parses can serve its device kind: every role the station logic reads is
 * bound, to a point that can carry it, and every command the logic gives can be written as the
 * vendor's device takes it. The kind's contract (config/role-catalogue.ts)
 * says what is needed; a profile the schema accepts can still switch behaviour off without a
 * sound (a smoke bit bound under another name, a state label no canonical state covers, a door
 * command that opens slot 1 whatever slot was asked for). Each problem names the profile's line,
 * the role and what the station would lose; optional roles left out are notices, not problems.
 */

export interface ProfileFit {
  /** Refusals: `validate` and `run` refuse the station. */
  problems: ConfigProblem[];
  /** What is off because an optional role is not bound (or a part is declared lacking). */
  notices: ConfigProblem[];
}

/**
 * Kinds where none of a few optional roles alone is needed but one of them is: an occupancy
 * sensor that reports neither a count nor presence can never say anyone is inside.
 */
const ONE_OF: Partial<Record<string, ReadonlyArray<readonly string[]>>> = {
  occupancy: [['people', 'presence']],
};

type Roles = Profile['roles'];
type SlotRoles = { group: string } & Record<string, RoleBinding | string>;

function slotRolesOf(roles: Roles, contract: KindContract): SlotRoles | undefined {
  const key = contract.instances?.role;
  const value = key !== undefined ? roles[key] : undefined;
  return value !== undefined && typeof value === 'object' && 'group' in value && typeof value.group === 'string' ? (value as SlotRoles) : undefined;
}

/** Checks `profile` against its kind's contract. */
export function checkProfileFit(profile: Profile, source: ProfileSource): ProfileFit {
  const contract = contractOf(profile.kind);
  const out = new Findings(source);
  if (!contract.profiled) return out;
  const roles = profile.roles;
  const slotKey = contract.instances?.role;
  const slots = slotRolesOf(roles, contract);
  nameProblems(out, profile, contract, slots);
  // A slots block naming no group of the profile is reported by nameProblems, and binds nothing.
  const slotGroup = slots !== undefined && slots.group in profile.groups ? slots.group : undefined;

  const scopeOf = (spec: { scope: 'device' | 'slot' }): RoleScope | undefined => {
    if (spec.scope === 'device') return { kind: 'device', points: profile.points, other: slotGroup !== undefined ? profile.groups[slotGroup]?.points : undefined, otherName: slotGroup };
    const group = slotGroup !== undefined ? profile.groups[slotGroup] : undefined;
    return group ? { kind: 'slot', points: group.points, groupName: slotGroup, other: profile.points } : undefined;
  };
  const bindingOf = (spec: RoleSpec | CommandRoleSpec): { binding: RoleBinding; path: string[] } | undefined => {
    if (spec.scope === 'slot' && 'value' in spec) {
      const b = slots?.[spec.name];
      return b !== undefined && slotKey ? { binding: b as RoleBinding, path: ['roles', slotKey, spec.name] } : undefined;
    }
    // Command roles, per-slot ones too, are read beside the device roles only (nameProblems refuses them in the slots block).
    const top = roles[spec.name] as RoleBinding | undefined;
    return top !== undefined ? { binding: top, path: ['roles', spec.name] } : undefined;
  };
  const label = (spec: RoleSpec | CommandRoleSpec): string => (spec.scope === 'slot' && 'value' in spec && slotKey ? `${slotKey}.${spec.name}` : spec.name);
  const lacks = profile.lacks;
  const bound = new Set<string>();

  for (const spec of contract.roles) {
    const found = bindingOf(spec);
    if (!found) continue;
    bound.add(spec.name);
    const scope = scopeOf(spec);
    // Slot roles without a usable slots group were reported above.
    if (scope) bindingProblems(out, found.path, normaliseBinding(found.binding), spec, label(spec), scope);
  }
  for (const spec of contract.commands) {
    const found = bindingOf(spec);
    if (!found) continue;
    bound.add(spec.name);
    commandEncodingProblems(out, profile, found.path, found.binding, spec, label(spec), slotGroup);
  }

  // What is missing: required roles are refused, optional ones are noticed.
  // A role that is missing has no line of its own: the line of the block it belongs in, or of the
  // file's kind when the profile binds no roles at all.
  const hasRoles = source.parsed === undefined || Object.hasOwn(source.parsed.value as object, 'roles');
  const missing = (spec: { scope: 'device' | 'slot'; value?: unknown }, message: string): void => {
    const inSlots = spec.scope === 'slot' && spec.value !== undefined && slots !== undefined && slotKey !== undefined;
    const path = inSlots ? ['roles', slotKey] : ['roles'];
    out.problem(path, message, inSlots || hasRoles ? path : ['kind']);
  };
  for (const spec of [...contract.roles, ...contract.commands]) {
    if (bound.has(spec.name)) continue;
    const name = label(spec);
    if (isRequired(spec, lacks)) {
      const hint = spec.without.startsWith('nothing: ') ? ` (${spec.without.slice('nothing: '.length)})` : '';
      const part = spec.unlessLacks !== undefined ? contract.parts.find((p) => p.part === spec.unlessLacks) : undefined;
      const lacking = part ? `; if ${part.meaning}, say so with lacks: [${part.part}] (${part.instead})` : '';
      missing(spec, `${name} is not bound, and ${a(contract.kind)} needs it: the station would lose: ${spec.use}${hint}${lacking}`);
    } else {
      out.notice(`${name} not bound: ${spec.without}`);
    }
  }
  for (const group of ONE_OF[contract.kind] ?? []) {
    if (group.some((n) => bound.has(n))) continue;
    missing({ scope: 'device' }, `none of ${group.join(', ')} is bound: ${a(contract.kind)} needs one of them, or it can never say anyone is inside`);
  }

  // lacks: parts the kind has, and not contradicted by a binding that says the part is there.
  lacks.forEach((part, i) => {
    const known = contract.parts.find((p) => p.part === part);
    if (!known) {
      const parts = contract.parts.map((p) => p.part);
      out.problem(['lacks', i], `${a(contract.kind)} has no part ${part} to lack${parts.length ? ` (its parts: ${parts.join(', ')})` : ''}`);
      return;
    }
    for (const spec of [...contract.roles, ...contract.commands]) {
      if (spec.unlessLacks !== part || !bound.has(spec.name)) continue;
      const path = bindingOf(spec)?.path ?? ['lacks', i];
      out.problem(path, `lacks says ${part} (${known.meaning}), yet ${label(spec)} is bound: remove one, the station cannot both use it and do without it (${known.instead})`);
    }
  });
  return out;
}

/** Role names the contract does not have, or in the wrong block: a misspelt role is a role not bound, silently. */
function nameProblems(out: Findings, profile: Profile, contract: KindContract, slots: SlotRoles | undefined): void {
  const roles = profile.roles;
  const slotKey = contract.instances?.role;
  const deviceRoles = contract.roles.filter((r) => r.scope === 'device');
  const slotRoles = contract.roles.filter((r) => r.scope === 'slot');
  const names = [...contract.roles.map((r) => r.name), ...contract.commands.map((c) => c.name)];
  for (const key of Object.keys(roles)) {
    if (key === slotKey) {
      if (!slots) out.problem(['roles', key], `${key} holds the per-slot roles: { group: <the profile group of the slots>, state: ..., batteryTemperature: ... }`);
      continue;
    }
    const value = roles[key];
    if (typeof value === 'object' && 'group' in value) {
      out.problem(['roles', key, 'group'], `group: belongs to roles.${slotKey ?? 'slots'} only: ${key} bound with it is not read`);
      continue;
    }
    if (deviceRoles.some((r) => r.name === key) || contract.commands.some((c) => c.name === key)) continue;
    if (slotRoles.some((r) => r.name === key)) {
      out.problem(['roles', key], `${key} is a per-slot role of ${a(contract.kind)}: bind it under roles.${slotKey ?? 'slots'}, to a point of the slots group`);
      continue;
    }
    out.problem(['roles', key], `${a(contract.kind)} has no role "${key}"${didYouMean(key, [...names, ...(slotKey ? [slotKey] : [])])}: it is not bound to anything (docs/device-roles.md lists the roles)`);
  }
  if (slots && slotKey) {
    if (!(slots.group in profile.groups)) {
      out.problem(['roles', slotKey, 'group'], `no group named "${slots.group}"${didYouMean(slots.group, Object.keys(profile.groups))}: the slot roles are bound to the points of a profile group`);
    }
    for (const key of Object.keys(slots)) {
      if (key === 'group' || slotRoles.some((r) => r.name === key)) continue;
      const command = contract.commands.some((c) => c.name === key);
      const deviceWide = deviceRoles.some((r) => r.name === key);
      out.problem(
        ['roles', slotKey, key],
        command
          ? `${key} is a command role: bind it directly under roles, beside the device roles (the command's group or slot expression makes it per slot); here it is not read`
          : deviceWide
            ? `${key} is a role of the whole ${contract.kind}, not of a slot: bind it directly under roles`
            : `a slot has no role "${key}"${didYouMean(key, [...slotRoles.map((r) => r.name), ...names])}: it is not bound to anything`,
      );
    }
  }
}

const a = (kind: string): string => (/^[aeiou]/.test(kind) ? `an ${kind}` : `a ${kind}`);

/**
 * A profile file read and checked for its kind, as the station loader does: for tools that take a
 * profile on its own (the simulators' `--profile FILE`).
 */
export function loadCheckedProfile(file: string): { profile?: Profile | undefined; problems: ConfigProblem[]; notices: ConfigProblem[] } {
  const loaded = loadProfileFile(file);
  if (!loaded.profile) return { problems: loaded.problems, notices: [] };
  const fit = checkProfileFit(loaded.profile, { file, parsed: loaded.parsed });
  return { profile: fit.problems.length === 0 ? loaded.profile : undefined, problems: fit.problems, notices: fit.notices };
}
