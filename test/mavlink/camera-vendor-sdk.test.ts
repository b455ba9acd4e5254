/**
 * What the MAVLink camera protocol cannot reach on the two vendor cameras, and would need the
 * vendor's SDK for. Skipped, with the reason, until an SDK binding exists
 * (hardware/real/mavlink/camera/README.md, "Vendor SDKs").
 */
import { describe, it } from 'vitest';

describe('camera vendor SDKs', () => {
  it.skip('Phase One iXM: exposure (ISO, shutter, aperture), IIQ image download and live view need the Phase One iX Capture / Camera SDK (a native, licensed library not on npm); over MAVLink the iXM offers capture, geotag and status only', () => {});
  it.skip('Sony ILX-LR1: camera settings, interval shooting and image transfer need the Sony Camera Remote SDK (a native, licensed C++ library, USB/Ethernet); the ILX-LR1 speaks no MAVLink camera protocol itself, a companion computer running a MAVLink camera manager over the SDK would present it as component 100', () => {});
});
