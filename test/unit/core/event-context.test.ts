import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventContext, triggerOf } from '../../../src/core/event-context.js';
import { evaluateExpression } from '../../../src/core/expr.js';
import type { TriggerEvent } from '../../../src/core/types.js';

const event: TriggerEvent = {
  source: 'shop',
  type: 'order.created',
  id: 'A-1',
  received_at: '2026-12-02T03:00:00.000Z',
  body: { total: 12 },
  headers: { 'x-shop': 'north' },
  query: { page: '2' },
};

test('the trigger names source, type, id and arrival time, and nothing of the body', () => {
  assert.deepEqual(triggerOf(event), { source: 'shop', type: 'order.created', id: 'A-1', received_at: '2026-12-02T03:00:00.000Z' });
});

test('expressions about an event see its body as `event`, its headers, query and trigger', () => {
  const ctx = eventContext(event);
  for (const [expr, want] of [
    ['event.total', 12],
    ['headers["x-shop"]', 'north'],
    ['query.page', '2'],
    ['trigger.received_at', '2026-12-02T03:00:00.000Z'],
    ['trigger.source + "/" + trigger.type + "/" + trigger.id', 'shop/order.created/A-1'],
  ] as const) {
    assert.equal(evaluateExpression(expr, ctx), want, expr);
  }
});
