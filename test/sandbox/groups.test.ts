import { Simulator } from '../../src/runtime/sandbox/simulator';
import { buildMessage } from '../../src/runtime/sandbox/messages';
import { TestClient, linkByQr } from '../helpers/baileys-client';

const ACCOUNT = '15550003000';
const ALICE = '15550003001';
const BOB = '15550003002';
const CAROL = '15550003003';

describe('sandbox: groups through real Baileys', () => {
  let sim: Simulator;
  let client: TestClient;

  beforeAll(async () => {
    sim = await Simulator.start();
    sim.createUser({ phone: ALICE, name: 'Alice' });
    sim.createUser({ phone: BOB, name: 'Bob' });
    sim.createUser({ phone: CAROL, name: 'Carol' });
    client = await linkByQr(sim, ACCOUNT);
  });
  afterAll(async () => {
    await client.end();
    await sim.stop();
  });

  test('create, metadata, participants add/remove/promote/demote, subject, description and settings', async () => {
    const created = await client.sock.groupCreate('Team', [`${ALICE}@s.whatsapp.net`, `${BOB}@s.whatsapp.net`]);
    expect(created.subject).toBe('Team');
    expect(created.participants.map((p) => p.id).sort()).toEqual([`${ACCOUNT}@s.whatsapp.net`, `${ALICE}@s.whatsapp.net`, `${BOB}@s.whatsapp.net`].sort());
    const group = sim.groups.get(created.id)!;
    expect(group.participants.has(sim.user(ALICE))).toBe(true);

    const added = await client.sock.groupParticipantsUpdate(created.id, [`${CAROL}@s.whatsapp.net`, '15559999999@s.whatsapp.net'], 'add');
    expect(added.map((r) => r.status)).toEqual(['200', '404']);
    const addEvent = await client.waitFor('group-participants.update', (u) => u.id === created.id && u.action === 'add');
    expect(addEvent.participants.map((p) => p.id)).toEqual([`${CAROL}@s.whatsapp.net`]);

    await client.sock.groupParticipantsUpdate(created.id, [`${ALICE}@s.whatsapp.net`], 'promote');
    await client.waitFor('group-participants.update', (u) => u.id === created.id && u.action === 'promote');
    await client.sock.groupParticipantsUpdate(created.id, [`${ALICE}@s.whatsapp.net`], 'demote');
    await client.waitFor('group-participants.update', (u) => u.id === created.id && u.action === 'demote');
    await client.sock.groupParticipantsUpdate(created.id, [`${BOB}@s.whatsapp.net`], 'remove');
    await client.waitFor('group-participants.update', (u) => u.id === created.id && u.action === 'remove');

    await client.sock.groupUpdateSubject(created.id, 'Team 2');
    await client.waitFor('groups.update', (u) => u.some((g) => g.id === created.id && g.subject === 'Team 2'));
    await client.sock.groupUpdateDescription(created.id, 'Our team');
    await client.waitFor('groups.update', (u) => u.some((g) => g.id === created.id && g.desc === 'Our team'));
    await client.sock.groupSettingUpdate(created.id, 'announcement');
    await client.waitFor('groups.update', (u) => u.some((g) => g.id === created.id && g.announce === true));

    const metadata = await client.sock.groupMetadata(created.id);
    expect(metadata.subject).toBe('Team 2');
    expect(metadata.desc).toBe('Our team');
    expect(metadata.announce).toBe(true);
    expect(metadata.participants.map((p) => p.id).sort()).toEqual([`${ACCOUNT}@s.whatsapp.net`, `${ALICE}@s.whatsapp.net`, `${CAROL}@s.whatsapp.net`].sort());

    const code = await client.sock.groupInviteCode(created.id);
    expect(code).toBe(group.inviteCode);
  });

  test('a contact changes the subject from its phone: the account gets the notification', async () => {
    const group = sim.groups.create(sim.user(ALICE), 'Alice group', [sim.user(ACCOUNT), sim.user(BOB)]);
    await client.waitFor('groups.upsert', (u) => u.some((g) => g.id === `${group.id}@g.us`));
    sim.groups.change(group, sim.user(ALICE), { subject: 'Renamed by Alice' });
    const update = await client.waitFor('groups.update', (u) => u.some((g) => g.id === `${group.id}@g.us` && g.subject === 'Renamed by Alice'));
    expect(update.find((g) => g.id === `${group.id}@g.us`)?.author).toBe(`${ALICE}@s.whatsapp.net`);
  });

  test('group messages both ways with sender keys', async () => {
    const created = await client.sock.groupCreate('Chat', [`${ALICE}@s.whatsapp.net`, `${BOB}@s.whatsapp.net`]);
    const sent = await client.sock.sendMessage(created.id, { text: 'hello group' });
    for (const member of [ALICE, BOB]) {
      const received = await sim.waitForReceived(member, (m) => m.id === sent!.key.id);
      expect(received).toMatchObject({ chat: created.id, from: `${ACCOUNT}@s.whatsapp.net`, text: 'hello group' });
    }
    const second = await client.sock.sendMessage(created.id, { text: 'second message, same sender key' });
    expect((await sim.waitForReceived(BOB, (m) => m.id === second!.key.id)).text).toBe('second message, same sender key');

    const fromAlice = await sim.sendGroupMessage(ALICE, created.id, buildMessage.text('hi all'));
    const upsert = await client.waitFor('messages.upsert', (u) => u.messages.some((m) => m.key.id === fromAlice));
    const message = upsert.messages.find((m) => m.key.id === fromAlice)!;
    expect(message.key.remoteJid).toBe(created.id);
    expect(message.key.participant).toBe(`${ALICE}@s.whatsapp.net`);
    expect(message.message?.conversation).toBe('hi all');
    expect((await sim.waitForReceived(BOB, (m) => m.id === fromAlice)).text).toBe('hi all');
  });
});
