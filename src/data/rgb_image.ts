/** A decoded image: 8-bit RGB, row-major, 3 bytes per pixel (alpha dropped, grey expanded to R = G = B). */
export interface RgbImage {
  width: number;
  height: number;
  /** width * height * 3 bytes. */
  rgb: Uint8Array;
}
