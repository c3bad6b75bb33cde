import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ExpiryClock, type Expiring } from '../../src/desktop/socket/expiry.js';

function session(expiresAt: number) {
  const item = {
    expiresAt,
    expired: 0,
    expire() {
      item.expired += 1;
    },
  } satisfies Expiring & { expired: number };
  return item;
}

describe('token expiry clock (one timer for every socket)', () => {
  const clock = new ExpiryClock<ReturnType<typeof session>>();
  after(() => {
    clock.stop();
  });
  const now = Math.floor(Date.now() / 1000);

  it('expires a socket once its second has come, never before, and only once', () => {
    const soon = session(now + 5);
    const later = session(now + 9);
    clock.add(soon);
    clock.add(later);
    clock.tick(now + 4);
    assert.equal(soon.expired, 0, 'expired a second early');
    clock.tick(now + 5);
    assert.equal(soon.expired, 1);
    assert.equal(later.expired, 0);
    clock.tick(now + 5);
    clock.tick(now + 20);
    assert.equal(soon.expired, 1, 'expired twice');
    assert.equal(later.expired, 1, 'a tick that came late skipped a second');
  });

  it('forgets a socket that closed before its token expired', () => {
    const closed = session(now + 30);
    clock.add(closed);
    clock.remove(closed);
    clock.tick(now + 40);
    assert.equal(closed.expired, 0);
  });

  it('expires at once a token that ran out while its socket was being admitted', () => {
    clock.tick(now + 50);
    const stale = session(now + 45);
    clock.add(stale);
    assert.equal(stale.expired, 1);
  });
});
