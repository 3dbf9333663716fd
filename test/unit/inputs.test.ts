import { normalisePhoneNumber } from '../../src/runtime/messages/recipients';
import { checked, fromBase64 } from '../../src/runtime/messages/media-input';
import { isPublicAddress } from '../../src/runtime/net/guard';
import { isLoopbackUrl } from '../../src/runtime/whatsapp/target';
import { parseConfig } from '../../src/runtime/config';

const limits = { maxBytes: 100, allowPrivateNetworks: false };

describe('input normalisation and limits', () => {
  test('phone numbers in common formats become digits; anything else is refused', () => {
    expect(normalisePhoneNumber('+49 (151) 234-567.89')).toBe('4915123456789');
    expect(normalisePhoneNumber('0049 151 23456789')).toBe('4915123456789');
    expect(normalisePhoneNumber('call me')).toBeUndefined();
    expect(normalisePhoneNumber('123@s.whatsapp.net')).toBeUndefined();
  });

  test('media: type sniffing, allow-list and size limit', () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(10)]);
    expect(checked({ data: png, mimetype: '' }, ['image/png'], limits, 'f').mimetype).toBe('image/png');
    expect(() => checked({ data: png, mimetype: 'image/gif' }, ['image/png'], limits, 'f')).toThrow(/not supported/);
    expect(() => checked({ data: Buffer.alloc(101, 0xff), mimetype: 'image/png' }, ['image/png'], limits, 'f')).toThrow(/larger than/);
    expect(() => fromBase64('not base64!', 'image/png', ['image/png'], limits, 'f')).toThrow(/base64/);
    expect(fromBase64(`data:image/png;base64,${png.toString('base64')}`, undefined, ['image/png'], limits, 'f').data).toEqual(png);
  });

  test('private and loopback addresses are recognised', () => {
    const refused = ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '::1', 'fd00::1', '::ffff:127.0.0.1', '100.64.0.1',
      // what the hand-written ranges let through (issue #15): mapped spellings, site-local, NAT64, 6to4, benchmarking, multicast, broadcast, IETF
      '::ffff:7f00:1', '::ffff:169.254.169.254', 'fec0::1', '64:ff9b::7f00:1', '2002:7f00:1::', '198.18.0.1', '224.0.0.1', '255.255.255.255', '192.0.0.1', '0.0.0.0', '::'];
    for (const address of refused) expect([address, isPublicAddress(address)]).toEqual([address, false]);
    for (const address of ['8.8.8.8', '172.32.0.1', '2001:4860::8888']) expect([address, isPublicAddress(address)]).toEqual([address, true]);
  });

  test('a sandbox URL must be on loopback, and needs its root key', () => {
    expect(isLoopbackUrl('ws://127.0.0.1:1234/ws/chat')).toBe(true);
    expect(isLoopbackUrl('ws://[::1]:1234/ws/chat')).toBe(true);
    expect(isLoopbackUrl('wss://web.whatsapp.com/ws/chat')).toBe(false);
    expect(() => parseConfig({ sandboxUrl: 'wss://web.whatsapp.com/ws/chat', sandboxRootKey: 'x' })).toThrow(/loopback/);
    expect(() => parseConfig({ sandboxUrl: 'ws://127.0.0.1:1/ws/chat' })).toThrow(/sandboxRootKey/);
    expect(() => parseConfig({ port: 70000 })).toThrow(/port/);
  });
});
