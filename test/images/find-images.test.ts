import { describe, expect, it } from 'vitest';
import {
  findImageUrls,
  largestSrcsetCandidate,
} from '../../src/integrations/images/find-images.js';

const PAGE = 'https://homes.example/listing/12/';

describe('findImageUrls', () => {
  it('takes img src and resolves relative URLs against the page', () => {
    const html =
      '<img src="photo1.jpg"><img src="/abs/photo2.png"><img src="//cdn.example/p3.gif">';
    expect(findImageUrls(html, PAGE)).toEqual([
      'https://homes.example/listing/12/photo1.jpg',
      'https://homes.example/abs/photo2.png',
      'https://cdn.example/p3.gif',
    ]);
  });

  it('takes the largest srcset candidate, by width or density', () => {
    const html =
      '<img src="small.jpg" srcset="small.jpg 400w, big.jpg 1600w, medium.jpg 800w">' +
      '<img src="a1.jpg" srcset="a1.jpg, a3.jpg 3x, a2.jpg 2x">';
    expect(findImageUrls(html, PAGE)).toEqual([`${PAGE}big.jpg`, `${PAGE}a3.jpg`]);
    expect(largestSrcsetCandidate('x.jpg, y.jpg 2x')).toBe('y.jpg');
    expect(largestSrcsetCandidate('')).toBeNull();
  });

  it('prefers lazy data-src / data-srcset over a data: placeholder and ignores data: URLs', () => {
    const html =
      '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" data-src="lazy.jpg">' +
      '<img src="placeholder.gif" data-srcset="l1.jpg 300w, l2.jpg 900w">' +
      '<img src="data:image/png;base64,AAAA">';
    expect(findImageUrls(html, PAGE)).toEqual([`${PAGE}lazy.jpg`, `${PAGE}l2.jpg`]);
  });

  it('takes og:image and every form of JSON-LD image, in document order, once each', () => {
    const html = `
      <head>
        <meta property="og:image" content="https://homes.example/og.jpg">
        <script type="application/ld+json">
          {"@context":"https://schema.org","@type":"SingleFamilyResidence","image":"/ld-string.jpg"}
        </script>
        <script type="application/ld+json">
          {"@graph":[{"@type":"Product","image":["ld-a.jpg",{"@type":"ImageObject","url":"ld-b.png"}]},
                     {"photo":{"@type":"ImageObject","image":{"contentUrl":"ld-c.webp"}}}]}
        </script>
        <script type="application/ld+json">{ not json </script>
      </head>
      <body><img src="/og.jpg"></body>`;
    expect(findImageUrls(html, PAGE)).toEqual([
      'https://homes.example/og.jpg',
      'https://homes.example/ld-string.jpg',
      `${PAGE}ld-a.jpg`,
      `${PAGE}ld-b.png`,
      `${PAGE}ld-c.webp`,
    ]);
  });

  it('honours <base href>, decodes entities and drops unfetchable schemes and fragments', () => {
    const html =
      '<base href="https://cdn.example/imgs/"><img src="a.jpg?w=1&amp;h=2#frag">' +
      '<img src="javascript:alert(1)"><img src="blob:https://x/y"><img src="  ">';
    expect(findImageUrls(html, PAGE)).toEqual(['https://cdn.example/imgs/a.jpg?w=1&h=2']);
  });
});
