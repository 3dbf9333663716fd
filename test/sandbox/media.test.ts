import { randomBytes } from 'node:crypto';
import { Simulator } from '../../src/runtime/sandbox/simulator';
import { loadBaileys } from '../../src/runtime/whatsapp/baileys';
import { TestClient, linkByQr } from '../helpers/baileys-client';

const ACCOUNT = '15550004000';
const ALICE = '15550004001';

describe('sandbox: media both ways through the local HTTPS media host', () => {
  let sim: Simulator;
  let client: TestClient;
  // random bytes stand in for the files: the simulator and Baileys only encrypt, upload and decrypt them
  const image = randomBytes(4096);
  const document = randomBytes(10_000);
  const voice = randomBytes(3000);

  beforeAll(async () => {
    sim = await Simulator.start();
    sim.createUser({ phone: ALICE, name: 'Alice' });
    client = await linkByQr(sim, ACCOUNT);
  });
  afterAll(async () => {
    await client.end();
    await sim.stop();
  });

  test('image, document and voice note from the account: the contact downloads the same bytes', async () => {
    const jid = `${ALICE}@s.whatsapp.net`;
    const sentImage = await client.sock.sendMessage(jid, { image, caption: 'a picture' });
    const sentDoc = await client.sock.sendMessage(jid, { document, mimetype: 'application/pdf', fileName: 'report.pdf' });
    const sentVoice = await client.sock.sendMessage(jid, { audio: voice, ptt: true, mimetype: 'audio/ogg; codecs=opus', seconds: 2, waveform: new Uint8Array(64) } as never);

    const gotImage = await sim.waitForReceived(ALICE, (m) => m.id === sentImage!.key.id);
    expect(gotImage.text).toBe('a picture');
    expect(await sim.downloadMedia(gotImage.message)).toEqual(image);
    const gotDoc = await sim.waitForReceived(ALICE, (m) => m.id === sentDoc!.key.id);
    expect(gotDoc.message.documentMessage?.fileName).toBe('report.pdf');
    expect(await sim.downloadMedia(gotDoc.message)).toEqual(document);
    const gotVoice = await sim.waitForReceived(ALICE, (m) => m.id === sentVoice!.key.id);
    expect(gotVoice.message.audioMessage?.ptt).toBe(true);
    expect(await sim.downloadMedia(gotVoice.message)).toEqual(voice);
  });

  test('image, document and voice note from a contact: Baileys downloads the same bytes', async () => {
    const b = await loadBaileys();
    const cases = [
      { kind: 'image' as const, data: image, mimetype: 'image/jpeg', caption: 'from alice', key: 'imageMessage' as const },
      { kind: 'document' as const, data: document, mimetype: 'application/pdf', fileName: 'alice.pdf', key: 'documentMessage' as const },
      { kind: 'voice' as const, data: voice, mimetype: 'audio/ogg; codecs=opus', seconds: 2, key: 'audioMessage' as const },
    ];
    for (const { key, ...input } of cases) {
      const id = await sim.sendMessage(ALICE, ACCOUNT, await sim.uploadMedia(input));
      const batch = await client.waitFor('messages.upsert', (u) => u.messages.some((m) => m.key.id === id));
      const message = batch.messages.find((m) => m.key.id === id)!;
      expect(message.message?.[key]).toBeTruthy();
      const bytes = await b.downloadMediaMessage(message, 'buffer', { options: { dispatcher: sim.media.dispatcher } as never });
      expect(bytes).toEqual(input.data);
    }
  });
});
