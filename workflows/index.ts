// Workflow entry point for the worker's bundle.
export { runRecipe } from './run-recipe.js';
