/**
 * A subject (or one of its tokens) that troupe must not build: a token with `.`, a wildcard,
 * whitespace or other characters outside `A-Z a-z 0-9 _ -`, or a reserved name where the
 * subject would read as another kind.
 */
export class InvalidSubjectError extends Error {
  override readonly name = 'InvalidSubjectError';
  constructor(
    message: string,
    /** The argument that was refused: `system`, `node`, `path`, … */
    readonly field: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
