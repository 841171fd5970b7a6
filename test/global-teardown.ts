/** Stops the embedded Postgres of the test run (its temporary folder goes with the OS temp dir). */
export default async function globalTeardown(): Promise<void> {
  const embedded = globalThis.__RISK_EMBEDDED__;
  if (embedded) await embedded.stop();
}
