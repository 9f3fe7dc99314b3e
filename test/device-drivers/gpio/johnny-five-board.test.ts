import { afterEach, describe, expect, it } from 'vitest';
import { JohnnyFiveBoard } from '../../../device-drivers/gpio/johnny-five-board.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { FakeClock, settle } from '../../helpers/fake-clock.js';
import { MockFirmataBoards } from './mock-firmata-board.js';

const boards: JohnnyFiveBoard[] = [];
afterEach(async () => {
  while (boards.length) await boards.pop()?.close();
});

function setup() {
  const clock = new FakeClock();
  const firmata = new MockFirmataBoards();
  const board = new JohnnyFiveBoard({ path: 'mock', createIo: firmata.createIo, readyTimeoutMs: 5000, reconnectMinMs: 1000, reconnectMaxMs: 4000, clock, log: silentLogger() });
  boards.push(board);
  return { clock, firmata, board };
}

/** One attempt at a board whose firmware never answers: it fails when the ready timeout passes. */
async function failedAttempt(board: JohnnyFiveBoard, clock: FakeClock): Promise<void> {
  const attempt = board.connect();
  const outcome = attempt.then(
    () => 'connected',
    (err: Error) => err.message,
  );
  await settle();
  clock.advance(5000);
  expect(await outcome).toMatch(/not ready within 5000 ms/);
}

describe('JohnnyFiveBoard reconnect backoff on its clock', () => {
  it('waits 1 s, 2 s, then 4 s (the ceiling) between attempts, building no board while it waits', async () => {
    const { clock, firmata, board } = setup();
    firmata.answering = false;
    for (const waitMs of [1000, 2000, 4000, 4000]) {
      await failedAttempt(board, clock);
      const built = firmata.ios.length;
      clock.advance(waitMs - 1);
      await expect(board.connect()).rejects.toThrow(/next attempt in 1 ms/);
      expect(firmata.ios.length).toBe(built);
      clock.advance(1);
    }
  });

  it('the ready timeout runs on the clock: no attempt fails before it passes', async () => {
    const { clock, firmata, board } = setup();
    firmata.answering = false;
    let failed = false;
    board.connect().catch(() => (failed = true));
    await settle();
    clock.advance(4999);
    await settle();
    expect(failed).toBe(false);
    clock.advance(1);
    await settle();
    expect(failed).toBe(true);
  });

  it('a board that answers after failures connects on the next due attempt, and the backoff starts over', async () => {
    const { clock, firmata, board } = setup();
    firmata.answering = false;
    await failedAttempt(board, clock);
    clock.advance(1000);
    await failedAttempt(board, clock);
    firmata.answering = true;
    clock.advance(2000);
    const first = await board.connect();
    expect(first.alive).toBe(true);
    firmata.latest.emit('disconnect');
    expect(first.alive).toBe(false);
    // Success cleared the failures: the lost link is replaced at once, not after a backoff.
    const second = await board.connect();
    expect(second).not.toBe(first);
    expect(second.alive).toBe(true);
  });
});
