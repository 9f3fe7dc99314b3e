import type { OperatorActions } from './operator-actions.js';
import type { StationResource } from './station-resources.js';

/*
 * What a station card needs to draw an operator control: the station it is on and the operator's
 * actions. The cards are built by functions that know only their device's points (device-card.ts
 * calls them), so the station view sets this while it builds, and clears it after.
 *
 * Controls are buttons with `data-action="<name>"` (and their own data attributes); the station
 * view has one click listener for all of them, which calls the handler registered here for the
 * name. One listener, not one per button: the view is morphed, so a button built afresh on each
 * message is not the one on the page, and a listener on it would never fire.
 */

export interface StationContext {
  stationId: string;
  /** The station's IANA zone, for times the controls show. */
  zone: string | undefined;
  /** The station's resources from its birth; undefined from an older gateway (names are then asked for). */
  resources: readonly StationResource[] | undefined;
  actions: OperatorActions;
}

export type ActionHandler = (button: HTMLElement, ctx: StationContext) => void;

let current: StationContext | undefined;
const handlers = new Map<string, ActionHandler>();

/**
 * The station being built, or undefined outside a build, with no operator actions, or for a copy
 * of the cards that is not to be acted on (the snapshot's): then a card draws no control at all.
 */
export function stationContext(): StationContext | undefined {
  return current;
}

export function buildWith<T>(ctx: StationContext | undefined, build: () => T): T {
  const before = current;
  current = ctx;
  try {
    return build();
  } finally {
    current = before;
  }
}

/** Registers what a `data-action="<name>"` button does when clicked. */
export function onAction(name: string, handler: ActionHandler): void {
  handlers.set(name, handler);
}

export function actionHandler(name: string): ActionHandler | undefined {
  return handlers.get(name);
}
