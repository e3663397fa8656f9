// Workflow entry point for the worker's bundle.
export { runLoopChunk, runRecipe } from './run-recipe.js';
export { flowControl } from './flow-control.js';
