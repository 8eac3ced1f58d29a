import { Webhook } from 'standardwebhooks';
import { signWebhook, webhookHeaders } from '../../src/handoff/signing';

describe('webhook signing (Standard Webhooks)', () => {
  test('matches the specification test vector', () => {
    const sig = signWebhook(
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      new Date(1614265330 * 1000),
      '{"test": 2432232314}',
    );
    expect(sig).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  test('headers carry the id, the timestamp in seconds, the signature and the content type', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const h = webhookHeaders(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', new Date(1614265330_999), '{"test": 2432232314}');
    expect(h).toStrictEqual({
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
      'content-type': 'application/json',
    });
  });

  test('a receiver verifies the headers with the same secret, and rejects any other body, id or secret', () => {
    const secret = `whsec_${Buffer.from('a 32-byte secret for the test!!!').toString('base64')}`;
    const body = JSON.stringify({
      type: 'handoff.requested',
      timestamp: '2026-03-01T10:00:00.000Z',
      data: { conversationId: 'c-1', seq: 1, text: 'Bonjour « é » 💥' },
    });
    const headers = webhookHeaders(secret, 'msg_roundtrip', new Date(), body);
    expect(new Webhook(secret).verify(body, headers)).toStrictEqual(JSON.parse(body));
    expect(new Webhook(secret).verify(Buffer.from(body, 'utf8'), headers)).toStrictEqual(JSON.parse(body));

    expect(() => new Webhook(secret).verify(body.replace('c-1', 'c-2'), headers)).toThrow(/signature/i);
    expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-id': 'msg_other' })).toThrow(/signature/i);
    const other = `whsec_${Buffer.from('another secret of the same size!').toString('base64')}`;
    expect(() => new Webhook(other).verify(body, headers)).toThrow(/signature/i);
    // An old timestamp is refused by the receiver (replay protection), even with a valid signature for it.
    const old = webhookHeaders(secret, 'msg_roundtrip', new Date(Date.now() - 10 * 60_000), body);
    expect(() => new Webhook(secret).verify(body, old)).toThrow(/too old/);
  });
});
