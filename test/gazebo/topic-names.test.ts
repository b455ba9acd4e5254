/** Fully qualified names as gz-transport's TopicUtils builds them; the partition from the environment. */
import { describe, expect, it } from 'vitest';
import { decomposeName, fullyQualifiedName, partitionFromEnv } from '../../hardware/sim/gazebo/topic-names.js';

const fq = (p: string, t: string, ns = '') => {
  const r = fullyQualifiedName(p, t, ns);
  return r.ok ? r.value : r.error.code;
};

describe('Gazebo topic names', () => {
  it('builds @/partition@/topic like TopicUtils::FullyQualifiedName', () => {
    expect(fq('sim', '/clock')).toBe('@/sim@/clock');
    expect(fq('/sim/', 'clock')).toBe('@/sim@/clock');
    expect(fq('', 'clock')).toBe('@@/clock');
    expect(fq('host:user', 'pose/info', 'world')).toBe('@/host:user@/world/pose/info');
    expect(fq('p', '/abs', 'ns')).toBe('@/p@/abs');
    expect(fq('p', 'trailing/')).toBe('@/p@/trailing');
  });

  it('refuses what TopicUtils refuses', () => {
    for (const t of ['', '/', 'a b', 'a~b', 'a//b', 'a@b', 'a:=b']) expect(fq('p', t)).toBe('GZ.INVALID_TOPIC');
    expect(fq('bad partition', '/t')).toBe('GZ.INVALID_TOPIC');
    expect(fq('p', '/t', 'n@s')).toBe('GZ.INVALID_TOPIC');
  });

  it('decomposes', () => {
    expect(decomposeName('@/sim@/model/x/pose')).toEqual({ partition: '/sim', topic: '/model/x/pose' });
    expect(decomposeName('/no/partition')).toBeUndefined();
  });

  it('takes IGN_PARTITION, then GZ_PARTITION, else hostname:username', () => {
    expect(partitionFromEnv({ IGN_PARTITION: 'a', GZ_PARTITION: 'b' })).toBe('a');
    expect(partitionFromEnv({ GZ_PARTITION: 'b' })).toBe('b');
    expect(partitionFromEnv({})).toMatch(/^[^:]+:.+$/);
  });
});
