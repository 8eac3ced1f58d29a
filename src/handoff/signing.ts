import { Webhook } from 'standardwebhooks';

/** The headers of a signed outgoing webhook (Standard Webhooks). */
export interface WebhookHeaders {
  'webhook-id': string;
  /** Unix time in seconds. */
  'webhook-timestamp': string;
  /** "v1,<base64 HMAC-SHA256>". */
  'webhook-signature': string;
  'content-type': 'application/json';
  [name: string]: string;
}

/**
 * The Standard Webhooks signature of `body` ("v1,<base64>"): HMAC-SHA256 of "<id>.<unix seconds>.<body>" with the
 * base64 key of the secret ("whsec_..."). The body must be the exact bytes sent.
 */
export function signWebhook(secret: string, webhookId: string, timestamp: Date, body: string): string {
  return new Webhook(secret).sign(webhookId, timestamp, body);
}

/** Everything a receiver needs to verify the request: id, timestamp (seconds), signature, content type. */
export function webhookHeaders(secret: string, webhookId: string, now: Date, body: string): WebhookHeaders {
  return {
    'webhook-id': webhookId,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': signWebhook(secret, webhookId, now, body),
    'content-type': 'application/json',
  };
}
