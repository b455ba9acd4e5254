/** ROS graph names: resolution against a namespace and a node name, and what is refused. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeNamespace, resolveName } from '../../hardware/real/ros/ros1/internal/names.js';
import { decodeHeader, encodeHeader } from '../../hardware/real/ros/ros1/internal/tcpros-header.js';

describe('ROS 1 names', () => {
  it('resolves absolute, relative and private names', () => {
    expect(resolveName('/a/b', '/uav1', '/uav1/twin')).toEqual({ ok: true, value: '/a/b' });
    expect(resolveName('pose', '/uav1', '/uav1/twin')).toEqual({ ok: true, value: '/uav1/pose' });
    expect(resolveName('pose', '/', '/twin')).toEqual({ ok: true, value: '/pose' });
    expect(resolveName('~start', '/uav1', '/uav1/twin')).toEqual({ ok: true, value: '/uav1/twin/start' });
    expect(normalizeNamespace('uav1/')).toEqual({ ok: true, value: '/uav1' });
    expect(normalizeNamespace(undefined)).toEqual({ ok: true, value: '/' });
  });

  it('refuses illegal names with ROS1.BAD_NAME', () => {
    for (const bad of ['', '1abc', 'a b', '/a//b', 'a/', '~', 'a-b', '/a/~b']) {
      const r = resolveName(bad, '/', '/n');
      expect(r.ok ? '' : r.error.code, bad).toBe('ROS1.BAD_NAME');
    }
    expect(normalizeNamespace('/bad ns').ok).toBe(false);
  });
});

describe('TCPROS connection headers', () => {
  it('round-trip any fields (keys without "=")', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }).filter((k) => !k.includes('=') && k !== '__proto__'), fc.string({ maxLength: 200 })), (fields) => {
        const enc = encodeHeader(fields);
        expect(enc.readUInt32LE(0)).toBe(enc.length - 4);
        const dec = decodeHeader(enc.subarray(4));
        expect(dec.ok).toBe(true);
        if (dec.ok) expect({ ...dec.value }).toEqual(fields);
      }),
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const r = decodeHeader(bytes);
        if (!r.ok) expect(r.error.code).toBe('TCPROS.BAD_HEADER');
      }),
    );
  });
});
