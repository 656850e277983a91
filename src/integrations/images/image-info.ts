/**
 * Image type and dimensions from the first bytes of a file, without decoding it.
 * The type comes from magic bytes, never from Content-Type: servers mislabel (an HTML error
 * page served as image/jpeg is the common case) and listing pages are untrusted input.
 */

export type ImageType = 'jpeg' | 'png' | 'gif' | 'webp';

export interface ImageInfo {
  type: ImageType;
  /** File extension for this type, without the dot. */
  ext: 'jpg' | 'png' | 'gif' | 'webp';
  width: number;
  height: number;
}

const EXT: Record<ImageType, ImageInfo['ext']> = {
  jpeg: 'jpg',
  png: 'png',
  gif: 'gif',
  webp: 'webp',
};

/** The type by magic bytes alone, or null when the bytes are not one of the four supported formats. */
export function sniffImageType(bytes: Uint8Array): ImageType | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff)
    return 'jpeg';
  if (bytes.length >= 8 && ascii(bytes, 0, 8) === '\x89PNG\r\n\x1a\n') return 'png';
  if (bytes.length >= 6 && (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a'))
    return 'gif';
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP')
    return 'webp';
  return null;
}

/**
 * Type and dimensions, or null when the type is unknown or its header is truncated or malformed
 * (a real image of one of these types always carries its size in the first few kilobytes,
 * except a JPEG whose SOF marker follows large EXIF/ICC segments: we scan the whole buffer).
 */
export function readImageInfo(bytes: Uint8Array): ImageInfo | null {
  const type = sniffImageType(bytes);
  if (!type) return null;
  const size =
    type === 'png'
      ? pngSize(bytes)
      : type === 'gif'
        ? gifSize(bytes)
        : type === 'webp'
          ? webpSize(bytes)
          : jpegSize(bytes);
  if (!size || size.width < 1 || size.height < 1) return null;
  return { type, ext: EXT[type], ...size };
}

interface Size {
  width: number;
  height: number;
}

function pngSize(b: Uint8Array): Size | null {
  // The first chunk must be IHDR: length 13, then width and height as big-endian uint32.
  if (b.length < 24 || ascii(b, 12, 16) !== 'IHDR') return null;
  return { width: u32be(b, 16), height: u32be(b, 20) };
}

function gifSize(b: Uint8Array): Size | null {
  if (b.length < 10) return null;
  return { width: b[6]! | (b[7]! << 8), height: b[8]! | (b[9]! << 8) };
}

function webpSize(b: Uint8Array): Size | null {
  if (b.length < 30) return null;
  const chunk = ascii(b, 12, 16);
  if (chunk === 'VP8 ') {
    // Lossy: a keyframe start code 9d 01 2a, then 14-bit width and height.
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return null;
    return { width: (b[26]! | (b[27]! << 8)) & 0x3fff, height: (b[28]! | (b[29]! << 8)) & 0x3fff };
  }
  if (chunk === 'VP8L') {
    // Lossless: signature 0x2f, then width-1 and height-1 packed in 14 bits each.
    if (b[20] !== 0x2f) return null;
    const bits = b[21]! | (b[22]! << 8) | (b[23]! << 16) | (b[24]! << 24);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') {
    // Extended: canvas width-1 and height-1 as 24-bit little-endian.
    return { width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
  }
  return null;
}

function jpegSize(b: Uint8Array): Size | null {
  let offset = 2;
  while (offset + 4 <= b.length) {
    if (b[offset] !== 0xff) return null;
    const marker = b[offset + 1]!;
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    // Standalone markers carry no length.
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return null; // end of image or start of scan before any SOF
    const length = (b[offset + 2]! << 8) | b[offset + 3]!;
    if (length < 2) return null;
    // SOF0..SOF15 hold the frame size, except DHT (c4), JPG (c8) and DAC (cc).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (offset + 9 > b.length) return null;
      return {
        height: (b[offset + 5]! << 8) | b[offset + 6]!,
        width: (b[offset + 7]! << 8) | b[offset + 8]!,
      };
    }
    offset += 2 + length;
  }
  return null;
}

function ascii(b: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...b.subarray(start, end));
}

function u32be(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;
}

function u24le(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16);
}
