/*
 * The gateway's GPIO interface. Drivers see pins by function (a motion sensor, a button, a
 * relay, an LED), never johnny-five: the board library is old (PITFALLS) and stays replaceable
 * behind this file.
 */

/** A pin number, or a name the board understands ("A0"). */
export type GpioPin = number | string;

export interface GpioOutput {
  /** Drives the output: true = relay energised / LED lit. */
  set(on: boolean): void;
  readonly on: boolean;
}

/**
 * One live link to a board. Components belong to the link: after the board is lost and
 * connected again, drivers set their pins up again on the new link.
 */
export interface GpioConnection {
  readonly alive: boolean;
  /** A logic-level sensor such as a PIR: `active` is true while the pin is high. */
  motionSensor(pin: GpioPin, onChange: (active: boolean) => void): void;
  /** A push button to ground, with the board's pull-up: `pressed` is true while it is held. */
  button(pin: GpioPin, onChange: (pressed: boolean) => void): void;
  /** A relay; `activeLow` for relay modules that energise on a low pin. Starts released (off). */
  relay(pin: GpioPin, options: { activeLow: boolean }): GpioOutput;
  /** Starts off. */
  led(pin: GpioPin): GpioOutput;
  /** Called once when the link is lost (board unplugged, port closed). */
  onLost(listener: (cause: Error) => void): void;
}

export interface GpioBoard {
  readonly path: string;
  /**
   * The live link, connecting first when there is none. Callers share one attempt; after a
   * failure, attempts are spaced by backoff and rejected early with DeviceError DISCONNECTED.
   */
  connect(): Promise<GpioConnection>;
  close(): Promise<void>;
}
