// Server-sent events read with fetch (EventSource cannot send the Authorization header), reconnecting after the
// last id seen, until stopped.

export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/** Follow `url` with the bearer token; `onEvent` for each event; returns stop(). */
export function follow(
  url: () => string,
  token: string,
  onEvent: (e: SseEvent) => void,
  onDenied: (status: number) => void,
): () => void {
  let stopped = false;
  let controller: AbortController | undefined;
  const run = async () => {
    while (!stopped) {
      controller = new AbortController();
      try {
        const res = await fetch(url(), { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
        if (res.status === 401 || res.status === 404) return onDenied(res.status);
        if (res.ok && res.body) await read(res.body, onEvent);
      } catch {
        /* network error or stopped: try again below */
      }
      if (!stopped) await new Promise((r) => setTimeout(r, 2000));
    }
  };
  void run();
  return () => {
    stopped = true;
    controller?.abort();
  };
}

async function read(body: ReadableStream<Uint8Array>, onEvent: (e: SseEvent) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const e = parse(block);
      if (e) onEvent(e);
      end = buffer.indexOf('\n\n');
    }
  }
}

function parse(block: string): SseEvent | undefined {
  const e: SseEvent = { event: 'message', data: '' };
  let any = false;
  for (const line of block.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const field = line.slice(0, colon);
    const value = line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') e.event = value;
    else if (field === 'data') {
      e.data += value;
      any = true;
    } else if (field === 'id') e.id = value;
  }
  return any ? e : undefined;
}
