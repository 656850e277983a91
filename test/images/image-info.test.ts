import { describe, expect, it } from 'vitest';
import { readImageInfo, sniffImageType } from '../../src/integrations/images/image-info.js';
import { gif, jpeg, png } from './fixtures.js';

function webp(chunk: 'VP8 ' | 'VP8L' | 'VP8X', width: number, height: number): Buffer {
  const b = Buffer.alloc(40);
  b.write('RIFF', 0, 'latin1');
  b.writeUInt32LE(32, 4);
  b.write('WEBP', 8, 'latin1');
  b.write(chunk, 12, 'latin1');
  if (chunk === 'VP8 ') {
    b.set([0x9d, 0x01, 0x2a], 23);
    b.writeUInt16LE(width, 26);
    b.writeUInt16LE(height, 28);
  } else if (chunk === 'VP8L') {
    b[20] = 0x2f;
    b.writeUInt32LE(((width - 1) & 0x3fff) | (((height - 1) & 0x3fff) << 14), 21);
  } else {
    b.writeUIntLE(width - 1, 24, 3);
    b.writeUIntLE(height - 1, 27, 3);
  }
  return b;
}

describe('readImageInfo', () => {
  it('reads type and size of real JPEG, PNG and GIF files', () => {
    expect(readImageInfo(jpeg(1, 40, 24))).toEqual({
      type: 'jpeg',
      ext: 'jpg',
      width: 40,
      height: 24,
    });
    expect(readImageInfo(png(1, 17, 9))).toEqual({ type: 'png', ext: 'png', width: 17, height: 9 });
    expect(readImageInfo(gif(1, 11, 7))).toEqual({ type: 'gif', ext: 'gif', width: 11, height: 7 });
  });

  it('reads the three WebP headers', () => {
    expect(readImageInfo(webp('VP8 ', 640, 480))).toMatchObject({
      type: 'webp',
      width: 640,
      height: 480,
    });
    expect(readImageInfo(webp('VP8L', 300, 200))).toMatchObject({
      type: 'webp',
      width: 300,
      height: 200,
    });
    expect(readImageInfo(webp('VP8X', 5000, 4000))).toMatchObject({
      type: 'webp',
      width: 5000,
      height: 4000,
    });
  });

  it('reports absurd dimensions from the header without decoding', () => {
    const huge = png(1);
    huge.writeUInt32BE(100_000, 16);
    huge.writeUInt32BE(100_000, 20);
    expect(readImageInfo(huge)).toMatchObject({ width: 100_000, height: 100_000 });
  });

  it('rejects HTML, empty, truncated and unknown content', () => {
    expect(sniffImageType(Buffer.from('<!doctype html><html>'))).toBeNull();
    expect(readImageInfo(Buffer.alloc(0))).toBeNull();
    expect(readImageInfo(png(1).subarray(0, 20))).toBeNull();
    expect(readImageInfo(jpeg(1).subarray(0, 10))).toBeNull();
    expect(readImageInfo(Buffer.from('BM6\x00\x00\x00', 'latin1'))).toBeNull();
  });
});
