import { describe, expect, it } from 'vitest';
import { TurnBudget } from './turn-budget.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('TurnBudget', () => {
  it('grants at most perTurn pages per turn of the event loop, first come first served', async () => {
    const budget = new TurnBudget(3);
    const granted: number[] = [];
    let turn = 0;
    for (let i = 0; i < 10; i++) {
      const wait = budget.take();
      if (wait === undefined) granted[i] = turn;
      else void wait.then(() => (granted[i] = turn));
    }
    expect(granted.filter((at) => at === 0)).toHaveLength(3);
    while (budget.waiting > 0) {
      turn++;
      await nextTurn();
    }
    await nextTurn();
    expect(granted).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, 3]);
    // A turn with pages left still lets nobody jump the queue.
    const late = new TurnBudget(1);
    expect(late.take()).toBeUndefined();
    const queued = late.take();
    expect(queued).toBeInstanceOf(Promise);
    expect(late.tryTake()).toBe(false);
    await queued;
  });

  it('counts grants by their cost: a turn grants while it has units left, overshooting by one grant at most', async () => {
    // Bytes of shared pages: 100 per turn, pages of 40 bytes (the third overshoots to 120), and one larger than a turn.
    const budget = new TurnBudget(100);
    const costs = [40, 40, 40, 40, 250, 10, 40];
    const granted: number[] = [];
    let turn = 0;
    for (const [i, cost] of costs.entries()) {
      const wait = budget.take(cost);
      if (wait === undefined) granted[i] = turn;
      else void wait.then(() => (granted[i] = turn));
    }
    while (budget.waiting > 0) {
      turn++;
      await nextTurn();
    }
    await nextTurn();
    // Turn 1: 40 + 250; turn 2: 10 + 40.
    expect(granted).toEqual([0, 0, 0, 1, 1, 2, 2]);
  });

  it('lets every waiter go on release', async () => {
    const budget = new TurnBudget(1);
    budget.take();
    const waits = [budget.take(), budget.take()];
    budget.release();
    expect(budget.waiting).toBe(0);
    await Promise.all(waits);
  });
});
