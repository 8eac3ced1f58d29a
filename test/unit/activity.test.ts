import {
  buttonPolicy,
  customerText,
  incomingOf,
  recordActivity,
  replyActivity,
  type CardAttachment,
} from '../../src/channels/activity';
import type { Reply } from '../../src/domain/types';

const bot = { id: '28:bot-app-id', name: 'SAV Bot' };
const reply = (n: number): Reply => ({
  text: 'Vous voulez dire ?',
  suggestions: Array.from({ length: n }, (_, i) => ({ label: `Option ${i + 1}`, value: `faq:o${i + 1}` })),
  source: { kind: 'clarify' },
  lang: 'fr',
});

describe('activity translation', () => {
  it('strips the @mention of the bot (Teams channels and group chats) and keeps other mentions', () => {
    const text = '<at>SAV Bot</at> où est mon colis ? cc <at>Ana</at>';
    const entities = [
      { type: 'mention', mentioned: bot, text: '<at>SAV Bot</at>' },
      { type: 'mention', mentioned: { id: '29:ana', name: 'Ana' }, text: '<at>Ana</at>' },
    ];
    expect(customerText({ text, entities, recipient: bot })).toBe('où est mon colis ? cc <at>Ana</at>');
    expect(customerText({ text: '  <at>SAV Bot</at>  ', recipient: bot })).toBe('');
  });

  it('reads typed text, string values (messageBack) and {action} values; nothing from an empty message', () => {
    expect(incomingOf({ type: 'message', text: ' garantie ' })).toEqual({ text: 'garantie' });
    expect(incomingOf({ type: 'message', value: 'csat:5' })).toEqual({ action: 'csat:5' });
    expect(incomingOf({ type: 'message', value: { action: 'handoff' } })).toEqual({ action: 'handoff' });
    expect(incomingOf({ type: 'message', text: '<at>SAV Bot</at>', recipient: bot })).toBeUndefined();
  });

  it('sends buttons as imBack with string values, at most 3 in Teams personal chats, none in Teams channels, with a text list of what is cut', () => {
    const web = replyActivity(reply(4), buttonPolicy('webchat'));
    expect(web.suggestedActions!.actions).toHaveLength(4);
    expect(web.suggestedActions!.actions[0]).toEqual({ type: 'imBack', title: 'Option 1', value: 'Option 1' });
    expect(web.text).toBe('Vous voulez dire ?');
    expect(web).toMatchObject({ textFormat: 'plain', locale: 'fr-FR', inputHint: 'expectingInput' });

    const personal = replyActivity(reply(4), buttonPolicy('msteams', 'personal'));
    expect(personal.suggestedActions!.actions.map((a) => a.title)).toEqual(['Option 1', 'Option 2', 'Option 3']);
    expect(personal.text).toContain('• Option 4');

    const channel = replyActivity(reply(2), buttonPolicy('msteams', 'channel'));
    expect(channel.suggestedActions).toBeUndefined();
    expect(channel.text).toBe('Vous voulez dire ?\n\nVous pouvez répondre :\n• Option 1\n• Option 2');
    for (const a of [web, personal]) for (const x of a.suggestedActions!.actions) expect(typeof x.value).toBe('string');
  });

  it('turns a stored agent message into an activity with its id, time and the agent name', () => {
    const a = recordActivity(
      {
        id: 42,
        conversationId: 'c',
        at: '2026-11-25T10:00:00.000Z',
        from: 'agent',
        text: 'Bonjour, Marie ici',
        source: { kind: 'agent', id: 'Marie' },
      },
      'fr',
      buttonPolicy('msteams', 'personal'),
    );
    expect(a).toMatchObject({
      type: 'message',
      id: '42',
      timestamp: '2026-11-25T10:00:00.000Z',
      text: 'Bonjour, Marie ici',
      channelData: { agent: { name: 'Marie' } },
    });
  });

  it('puts "was this helpful? 👍 👎" under an answer as a hero card whose messageBack buttons send the vote', () => {
    const answer: Reply = {
      text: 'Tarife: …',
      source: { kind: 'faq', id: 'delivery-options', confidence: 0.9 },
      lang: 'ro',
      feedback: true,
    };
    // Shown in Teams channels too, where suggested actions are not.
    for (const policy of [buttonPolicy('webchat'), buttonPolicy('msteams', 'channel')]) {
      const a = replyActivity(answer, policy);
      expect(a.attachments).toEqual([
        {
          contentType: 'application/vnd.microsoft.card.hero',
          content: {
            text: 'V-a fost util acest răspuns?',
            buttons: [
              {
                type: 'messageBack',
                title: '👍',
                text: '👍',
                displayText: '👍',
                value: { action: 'feedback:up:delivery-options' },
              },
              {
                type: 'messageBack',
                title: '👎',
                text: '👎',
                displayText: '👎',
                value: { action: 'feedback:down:delivery-options' },
              },
            ],
          },
        },
      ]);
      expect(a.locale).toBe('ro-RO');
    }
    expect(replyActivity({ ...answer, feedback: undefined }, buttonPolicy('webchat')).attachments).toBeUndefined();
    // A stored answer (Direct Line replay, proactive sends) keeps its card and its own language.
    const stored = recordActivity(
      {
        id: 7,
        conversationId: 'c',
        at: '2026-11-25T10:00:00.000Z',
        from: 'bot',
        text: 'Tarife: …',
        source: { kind: 'faq', id: 'delivery-options' },
        lang: 'ro',
        feedback: true,
      },
      'fr',
      buttonPolicy('webchat'),
    );
    expect(stored.locale).toBe('ro-RO');
    expect((stored.attachments![0]!.content as CardAttachment['content']).buttons!.map((b) => b.value.action)).toEqual([
      'feedback:up:delivery-options',
      'feedback:down:delivery-options',
    ]);
    // The click comes back as the action, with the emoji as the text the transcript shows.
    expect(incomingOf({ type: 'message', text: '👎', value: { action: 'feedback:down:delivery-options' } })).toEqual({
      action: 'feedback:down:delivery-options',
      text: '👎',
    });
  });
});
