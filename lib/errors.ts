/**
 * The one error type nnkit throws. `code` is stable and machine-readable; the message follows
 * one grammar for argument errors: `Expected <what> for <name> but received <value>`.
 */
export type NnErrorCode =
  | 'NNKIT_ERR_ARG' // an argument of the wrong type or out of range
  | 'NNKIT_ERR_SHAPE' // array lengths that do not match the dimensions
  | 'NNKIT_ERR_LABEL' // a class label outside [0, classes)
  | 'NNKIT_ERR_DATA' // a data file that cannot be read or parsed
  | 'NNKIT_ERR_ISA' // an unknown NNKIT_ISA value
  | 'NNKIT_ERR_LOAD' // the native addon could not be loaded
  | 'NNKIT_ERR_MEMORY' // the native core could not allocate scratch memory
  | 'NNKIT_ERR_MODEL_FILE' // a model file that is missing, truncated, corrupted, of another version or shape
  | 'NNKIT_ERR_IO'; // a file that could not be read or written (permissions, disk full, ...)

export class NnError extends Error {
  readonly code: NnErrorCode;

  constructor(code: NnErrorCode, message: string) {
    super(message);
    this.name = 'NnError';
    this.code = code;
  }
}
