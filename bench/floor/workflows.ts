// Temporal's floor for the side-by-side bench: the least a Temporal workflow can do for the bench's
// job — one step POSTing `{ id, ts }` to the sink — as a regular activity or as a local one.
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { FloorActivities } from './activities.js';

const regular = proxyActivities<FloorActivities>({ startToCloseTimeout: '10s' });
const local = proxyLocalActivities<FloorActivities>({ startToCloseTimeout: '10s' });

export async function floorRegular(url: string, delivery: { id: string; ts: number }): Promise<void> {
  await regular.deliver(url, delivery);
}

export async function floorLocal(url: string, delivery: { id: string; ts: number }): Promise<void> {
  await local.deliver(url, delivery);
}
