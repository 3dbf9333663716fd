/** Which number a send goes to, as the opt-out check keys it: the same `+digits` an inbound message records. */
import { phoneOf } from '../../src/runtime/audiences/opt-outs';

test.each([
  ['4915123456789@s.whatsapp.net', '+4915123456789'],
  ['4915123456789:12@s.whatsapp.net', '+4915123456789'],
  ['+49 151 23456789', '+4915123456789'],
  ['(202) 555-0143', undefined],
  ['+1 202 555 0143', '+12025550143'],
  ['120363000000000001@g.us', undefined],
  ['98765432101234@lid', undefined],
  ['status@broadcast', undefined],
  ['not-a-number@s.whatsapp.net', undefined],
])('%s → %s', (to, phone) => {
  expect(phoneOf(to)).toBe(phone);
});
