import type { RoleBinding, RoleBindingObject } from '../../config/profile-schema.js';

/** One point (and bit) a role binding reads. */
export interface BindingRef {
  name: string;
  bit: string | undefined;
}

/**
 * A binding in its full form with the points it names: the shorthand `"status.smoke"` is
 * `{point: status, bit: smoke}`, and `points: [...]` lists several sensors. The gateway's
 * readers and the simulators' writers resolve bindings the same way through this.
 */
export function resolveBinding(b: RoleBinding): { binding: RoleBindingObject; refs: BindingRef[] } {
  const binding: RoleBindingObject = typeof b === 'string' ? { point: b } : b;
  const texts = binding.points ?? (binding.point !== undefined ? [binding.point] : []);
  return {
    binding,
    refs: texts.map((ref) => {
      const [name, bit] = ref.split('.') as [string, string | undefined];
      return { name, bit: bit ?? binding.bit };
    }),
  };
}
