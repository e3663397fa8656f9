// The search attributes every run carries, so the Temporal UI (and `temporal workflow list --query`)
// filters runs by recipe, source and event type.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const RECIPE_KEY = defineSearchAttributeKey('HookflowRecipe', SearchAttributeType.KEYWORD);
export const SOURCE_KEY = defineSearchAttributeKey('HookflowSource', SearchAttributeType.KEYWORD);
export const EVENT_KEY = defineSearchAttributeKey('HookflowEvent', SearchAttributeType.KEYWORD);
export const SEARCH_ATTRIBUTE_KEYS = [RECIPE_KEY, SOURCE_KEY, EVENT_KEY];
