/** A device that needs an operator's decision; the message says what to do. Other devices carry on. */
export class DeviceProblem extends Error {
  override name = 'DeviceProblem';
}
