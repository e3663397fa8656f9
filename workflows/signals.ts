// The signals hookflow's workflow receives, defined once from the names the client also uses.
import { defineSignal } from '@temporalio/workflow';
import { WAKE_SIGNAL, type Wake } from '../src/core/runtime-contract.js';

/** The dispatcher hands a waiting run the event that satisfies one of its waits. */
export const wakeSignal = defineSignal<[Wake]>(WAKE_SIGNAL);
