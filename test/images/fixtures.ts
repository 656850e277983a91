import { encodeGif, encodeJpeg, encodePng } from '../../examples/tiny-images.js';

/** Distinct small real images: `n` picks a colour so each n gives different bytes. */
export function png(n: number, width = 16, height = 12): Buffer {
  return encodePng(width, height, (x, y) => [(n * 40) & 255, (x * 9) & 255, (y * 13) & 255]);
}

export function jpeg(n: number, width = 32, height = 24): Buffer {
  return encodeJpeg(width, height, (bx, by) => [(n * 50) & 255, bx * 40, by * 60]);
}

export function gif(n: number, width = 10, height = 8): Buffer {
  return encodeGif(
    width,
    height,
    [
      [n & 255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
    ],
    (x, y) => (x + y) % 3,
  );
}
