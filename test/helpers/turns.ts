/**
 * How many turns of the event loop passed while `work` ran: work that never leaves its turn (awaits that resolve
 * at once) holds off every request, message and timer until it ends, and counts 0.
 */
export async function turnsDuring<T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let working = true;
  const watch = () => {
    turns++;
    if (working) setImmediate(watch);
  };
  setImmediate(watch);
  try {
    return { result: await work(), turns };
  } finally {
    working = false;
  }
}
