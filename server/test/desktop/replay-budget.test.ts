import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReplayBudget } from '../../src/desktop/socket/replay-budget.js';

describe('replay budget per user', () => {
  it('allows the budget per user and minute, then refuses until the minute is over; users do not share it', () => {
    const budget = new ReplayBudget(2);
    const now = Date.now();
    assert.deepEqual([budget.take(7, now), budget.take(7, now + 1), budget.take(7, now + 2)], [true, true, false]);
    assert.equal(budget.take(8, now + 3), true, 'another user has a budget of its own');
    assert.equal(budget.take(7, now + 60_001), true, 'a new minute, a new budget');
  });
});
