import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cursorAfter, pickAddresses } from '../../src/core/networks/pool.js';
import { EruError } from '../../src/lib/errors.js';
import type { AddressHolder, Network } from '../../src/model/network.js';

// 10.0.0.0/29: .1 is the gateway, .0 and .7 the ends; the range .1-.6 hands out .2 to .6.
const network: Network = { name: 'n', subnet: '10.0.0.0/29', gateway: '10.0.0.1', range: { from: '10.0.0.1', to: '10.0.0.6' }, pods: [], createdAt: '2026-01-01T00:00:00Z' };
const holding = (...addresses: string[]): Map<string, AddressHolder> => new Map(addresses.map((a) => [a, { workload: `w-${a}`, node: 'n1' }]));

describe('address pool', () => {
  it('with no cursor, starts at the range\'s start, skipping the gateway and held addresses', () => {
    assert.deepEqual(pickAddresses(network, holding('10.0.0.3'), 3, [], []), ['10.0.0.2', '10.0.0.4', '10.0.0.5']);
  });

  it('hands out the next free ones after the cursor, wrapping round, so a just-freed address is not reused at once', () => {
    // .2 was freed a moment ago, .4 handed out last: the next two are .5 and .6, then .2 again.
    assert.deepEqual(pickAddresses(network, holding('10.0.0.3', '10.0.0.4'), 2, [], [], '10.0.0.4'), ['10.0.0.5', '10.0.0.6']);
    assert.deepEqual(pickAddresses(network, holding('10.0.0.3', '10.0.0.4'), 3, [], [], '10.0.0.4'), ['10.0.0.5', '10.0.0.6', '10.0.0.2']);
    assert.deepEqual(pickAddresses(network, holding(), 1, [], [], '10.0.0.6'), ['10.0.0.2'], 'after the range\'s end: its start');
    assert.deepEqual(pickAddresses(network, holding(), 1, [], [], '192.168.1.1'), ['10.0.0.2'], 'a cursor outside the range (the range changed): its start');
  });

  it('never hands one out twice, and says how many are free when too few are', () => {
    const all = pickAddresses(network, holding(), 5, [], [], '10.0.0.3');
    assert.deepEqual(all, ['10.0.0.4', '10.0.0.5', '10.0.0.6', '10.0.0.2', '10.0.0.3']);
    assert.throws(() => pickAddresses(network, holding('10.0.0.2'), 5, [], ['networks', 0], '10.0.0.3'), (e: unknown) => e instanceof EruError && /has 4 free addresses; 5 asked/.test(e.message));
  });

  it('the cursor moves to the last one handed out; fixed addresses leave it', () => {
    assert.equal(cursorAfter(['10.0.0.5', '10.0.0.6', '10.0.0.2'], [], '10.0.0.4'), '10.0.0.2');
    assert.equal(cursorAfter(['10.0.0.6'], ['10.0.0.6'], '10.0.0.4'), '10.0.0.4');
    assert.equal(cursorAfter([], [], undefined), undefined);
  });
});
