import { afterEach, describe, expect, it } from 'vitest';
import { common } from 'node-mavlink';
import { SIM_PARAM_NAMES } from '../../hardware/sim/index.js';
import { intToWireFloat, wireFloatToInt } from '../../hardware/sim/sitl/index.js';
import { startSitl, type SitlHarness } from './support/sitl-harness.js';
import { mk } from './support/test-gcs.js';

let h: SitlHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('SITL parameter protocol', () => {
  it('lists every parameter with index/count, then _HASH_CHECK', async () => {
    h = await startSitl();
    const { gcs } = h;
    const since = gcs.log.length;
    gcs.send(mk(common.ParamRequestList, { targetSystem: 1, targetComponent: 1 }));
    await gcs.next(common.ParamValue, (m) => m.paramId === '_HASH_CHECK', { since });
    const values = gcs.all(common.ParamValue, since).filter((r) => r.msg.paramId !== '_HASH_CHECK');
    expect(values).toHaveLength(SIM_PARAM_NAMES.length);
    expect(new Set(values.map((v) => v.msg.paramIndex)).size).toBe(SIM_PARAM_NAMES.length);
    expect(values.every((v) => v.msg.paramCount === SIM_PARAM_NAMES.length)).toBe(true);
    const cruise = values.find((v) => v.msg.paramId === 'MPC_XY_CRUISE')!.msg;
    expect([cruise.paramType, cruise.paramValue]).toEqual([9, 5]);
    // INT32 travels bytewise: the float's bits are the integer.
    const dll = values.find((v) => v.msg.paramId === 'NAV_DLL_ACT')!.msg;
    expect(dll.paramType).toBe(6);
    expect(wireFloatToInt(dll.paramValue)).toBe(2);
  });

  it('reads by name and by index; sets within range; refuses out of range and keeps the value', async () => {
    h = await startSitl();
    const { gcs } = h;
    let since = gcs.log.length;
    gcs.send(mk(common.ParamRequestRead, { targetSystem: 1, targetComponent: 1, paramId: 'RTL_RETURN_ALT', paramIndex: -1 }));
    const byName = (await gcs.next(common.ParamValue, () => true, { since })).msg;
    expect(byName.paramValue).toBe(60); // PX4 default
    since = gcs.log.length;
    gcs.send(mk(common.ParamRequestRead, { targetSystem: 1, targetComponent: 1, paramId: '', paramIndex: byName.paramIndex }));
    expect((await gcs.next(common.ParamValue, () => true, { since })).msg.paramId).toBe('RTL_RETURN_ALT');

    since = gcs.log.length;
    gcs.send(mk(common.ParamSet, { targetSystem: 1, targetComponent: 1, paramId: 'RTL_RETURN_ALT', paramValue: 45, paramType: 9 }));
    expect((await gcs.next(common.ParamValue, () => true, { since })).msg.paramValue).toBe(45);
    expect(h.world.getParams('d1').RTL_RETURN_ALT).toBe(45);

    since = gcs.log.length;
    gcs.send(mk(common.ParamSet, { targetSystem: 1, targetComponent: 1, paramId: 'RTL_RETURN_ALT', paramValue: 9000, paramType: 9 }));
    expect((await gcs.next(common.ParamValue, () => true, { since })).msg.paramValue).toBe(45);
    expect(h.world.getParams('d1').RTL_RETURN_ALT).toBe(45);
    await gcs.next(common.StatusText, (m) => m.text.includes('out of range'), { since });

    since = gcs.log.length;
    gcs.send(mk(common.ParamSet, { targetSystem: 1, targetComponent: 1, paramId: 'NAV_DLL_ACT', paramValue: intToWireFloat(3), paramType: 6 }));
    const dll = (await gcs.next(common.ParamValue, () => true, { since })).msg;
    expect(wireFloatToInt(dll.paramValue)).toBe(3);
    expect(h.world.getParams('d1').NAV_DLL_ACT).toBe(3);
    // Sent as a plain float 1.0 its bytes are the int 1065353216: out of range, refused (PX4 copies bytes).
    since = gcs.log.length;
    gcs.send(mk(common.ParamSet, { targetSystem: 1, targetComponent: 1, paramId: 'NAV_DLL_ACT', paramValue: 1, paramType: 9 }));
    expect(wireFloatToInt((await gcs.next(common.ParamValue, () => true, { since })).msg.paramValue)).toBe(3);
  });
});
