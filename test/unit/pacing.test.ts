import { DEFAULT_PACING, Pacer } from '../../src/runtime/outbound/pacing';
import { missingVariables, render } from '../../src/runtime/outbound/campaigns';

const T0 = Date.parse('2026-06-01T09:00:00Z');
const settings = { ...DEFAULT_PACING, minGapMs: 1_000, maxGapMs: 3_000, perMinute: null, perHour: null, perDay: null, firstContactsPerDay: null };

describe('pacing', () => {
  test('the gap after a bulk send is drawn between min and max; interactive sends do not move it', () => {
    const pacer = new Pacer(settings, () => 0.5);
    expect(pacer.earliestBulk(T0, false)).toBe(T0);
    pacer.record(T0, { lane: 'bulk', firstContact: false });
    expect(pacer.earliestBulk(T0, false)).toBe(T0 + 2_000);
    pacer.record(T0 + 500, { lane: 'interactive', firstContact: false });
    expect(pacer.earliestBulk(T0 + 500, false)).toBe(T0 + 2_000);
    expect(pacer.earliestBulk(T0 + 5_000, false)).toBe(T0 + 5_000);
  });

  test('rolling caps count every send and free up as the oldest leaves the window', () => {
    const pacer = new Pacer({ ...settings, minGapMs: 0, maxGapMs: 0, perMinute: 3, perHour: 4 }, () => 0);
    pacer.record(T0, { lane: 'interactive', firstContact: false });
    pacer.record(T0 + 10_000, { lane: 'bulk', firstContact: false });
    pacer.record(T0 + 20_000, { lane: 'bulk', firstContact: false });
    expect(pacer.earliestBulk(T0 + 30_000, false)).toBe(T0 + 60_000);
    pacer.record(T0 + 60_000, { lane: 'bulk', firstContact: false });
    // four in the hour: the next waits for the first to be an hour old
    expect(pacer.earliestBulk(T0 + 61_000, false)).toBe(T0 + 3_600_000);
    expect(pacer.usage(T0 + 61_000)).toMatchObject({ perMinute: { used: 3, limit: 3 }, perHour: { used: 4, limit: 4 } });
  });

  test('the first-contact cap holds only sends to new chats', () => {
    const pacer = new Pacer({ ...settings, minGapMs: 0, maxGapMs: 0, firstContactsPerDay: 2 }, () => 0);
    pacer.record(T0, { lane: 'bulk', firstContact: true });
    pacer.record(T0 + 1_000, { lane: 'bulk', firstContact: true });
    expect(pacer.earliestBulk(T0 + 2_000, true)).toBe(T0 + 86_400_000);
    expect(pacer.earliestBulk(T0 + 2_000, false)).toBe(T0 + 2_000);
  });

  test('state survives a snapshot and load (a restart keeps the caps used)', () => {
    const pacer = new Pacer({ ...settings, perDay: 1 }, () => 0);
    pacer.record(T0, { lane: 'bulk', firstContact: false });
    const restored = new Pacer({ ...settings, perDay: 1 }, () => 0);
    restored.load(JSON.parse(JSON.stringify(pacer.snapshot())));
    expect(restored.earliestBulk(T0 + 5_000, false)).toBe(T0 + 86_400_000);
  });
});

describe('campaign templates', () => {
  test('placeholders are filled from the variables, with or without spaces', () => {
    expect(render('Hello {{name}}, code {{ code }}!', { name: 'Ann', code: '7' })).toBe('Hello Ann, code 7!');
  });
  test('missing variables are named once each', () => {
    expect(missingVariables('{{a}} {{b}} {{ a }}', { b: 'x' })).toEqual(['a']);
  });
});
