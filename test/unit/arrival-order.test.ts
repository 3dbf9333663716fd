import { ArrivalOrder } from '../../src/runtime/sessions/arrival-order';

describe('ArrivalOrder', () => {
  let now = 0;
  const order = () => new ArrivalOrder(1000, () => now);
  beforeEach(() => {
    now = 0;
    jest.useFakeTimers();
  });
  afterEach(() => jest.useRealTimers());

  test('the first message of a chat, and any message of another chat, goes at once', () => {
    const o = order();
    o.arrived('a1', 'chat-a');
    o.arrived('b1', 'chat-b');
    o.arrived('a2', 'chat-a');
    expect(o.turn('a1')).toBeUndefined();
    expect(o.turn('b1')).toBeUndefined();
    expect(o.turn('unknown')).toBeUndefined();
  });

  test('a later message waits until the earlier ones of its chat are done', async () => {
    const o = order();
    for (const id of ['a1', 'a2', 'a3']) o.arrived(id, 'chat-a');
    const went: string[] = [];
    const third = o.turn('a3')!.then(() => went.push('a3'));
    const second = o.turn('a2')!.then(() => went.push('a2'));
    o.done('a1');
    await second;
    expect(went).toEqual(['a2']);
    o.done('a2');
    await third;
    expect(went).toEqual(['a2', 'a3']);
    o.done('a3');
    expect(o.size).toBe(0);
  });

  test('an earlier message that never comes holds its chat for the hold time only, and never again', async () => {
    const o = order();
    o.arrived('lost', 'chat-a');
    now = 400;
    o.arrived('a2', 'chat-a');
    let went = false;
    const waiting = o.turn('a2')!.then(() => (went = true));
    await jest.advanceTimersByTimeAsync(599);
    expect(went).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await waiting;
    expect(went).toBe(true);
    o.done('a2');
    now = 1500;
    o.arrived('a3', 'chat-a');
    expect(o.turn('a3')).toBeUndefined();
    expect(o.size).toBe(1);
  });

  test('a redelivered stanza keeps its first place', () => {
    const o = order();
    o.arrived('a1', 'chat-a');
    o.arrived('a2', 'chat-a');
    o.arrived('a1', 'chat-a');
    expect(o.turn('a1')).toBeUndefined();
    expect(o.turn('a2')).toBeInstanceOf(Promise);
  });
});
