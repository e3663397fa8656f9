// The signals hookflow's workflows exchange, defined once from the names the client also uses.
import { defineSignal } from '@temporalio/workflow';
import { EVENT_SIGNAL, SUBSCRIBE_SIGNAL, UNSUBSCRIBE_SIGNAL, type Subscription } from '../src/core/runtime-contract.js';
import type { TriggerEvent } from '../src/core/types.js';

/** An event for a run's `wait_for` (mailbox → run), or for the mailbox to forward (ingress → mailbox). */
export const eventSignal = defineSignal<[TriggerEvent]>(EVENT_SIGNAL);
export const subscribeSignal = defineSignal<[Subscription]>(SUBSCRIBE_SIGNAL);
export const unsubscribeSignal = defineSignal<[string]>(UNSUBSCRIBE_SIGNAL);
