/**
 * Imported FIRST by the HTTP benchmarks: they measure the service as deployed (the Dockerfile sets
 * NODE_ENV=production). graphql-js reads NODE_ENV once, when it is loaded, and outside production it runs a
 * development check in every `instanceOf` it makes while executing a response (a measurable share of a risk request's CPU);
 * this module runs before any module that loads graphql-js.
 */
process.env.NODE_ENV = 'production';

export {};
