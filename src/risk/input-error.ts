/** A scenario, transition or solver input the engine refuses; `field` is the path of the offending input. */
export class ScenarioInputError extends Error {
  override readonly name = 'ScenarioInputError';
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    Object.setPrototypeOf(this, ScenarioInputError.prototype);
  }
}
