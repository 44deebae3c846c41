/** A labelled data set as the loaders return it: raw row-major features and integer labels. */
export interface Dataset {
  /** n x features, row-major, raw values as stored in the file. */
  x: Float32Array;
  /** n class labels in [0, classes). */
  y: Int32Array;
  n: number;
  features: number;
  classes: number;
}
