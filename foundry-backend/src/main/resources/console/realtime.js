// One WebSocket per tab (/v1/realtime). Subscriptions are kept here and sent again after every
// reconnect, so each view gets a fresh snapshot and never shows stale state after a drop. The
// socket asks for batches (?batch=true): events that waited together arrive as one "events"
// frame, handled here one by one, in order.
export class Realtime {
  constructor(onState) {
    this.subs = new Map(); // "topic id" -> {topic, id, handler}
    this.onState = onState;
    this.delay = 500;
    this.closedByUs = false;
    // A lost network may leave a socket open that no longer carries anything: when the browser
    // says it is offline, drop it and say so; when it is back, reconnect at once.
    window.addEventListener('offline', () => {
      if (this.ws) this.ws.close();
      this.onState('disconnected');
    });
    window.addEventListener('online', () => {
      this.delay = 500;
      if (!this.ws || this.ws.readyState === WebSocket.CLOSED) this.connect();
    });
    this.connect();
  }

  connect() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    this.onState('connecting');
    const ws = new WebSocket(`${scheme}//${location.host}/v1/realtime?batch=true`);
    this.ws = ws;
    ws.onopen = () => {
      this.delay = 500;
      this.onState('live');
      for (const s of this.subs.values()) this.send({ type: 'subscribe', topic: s.topic, id: s.id });
    };
    ws.onmessage = (m) => {
      let f;
      try {
        f = JSON.parse(m.data);
      } catch (e) {
        return;
      }
      if (f.type === 'pong') return;
      if (f.type === 'events') {
        for (const e of f.events) this.dispatch(e);
      } else {
        this.dispatch(f);
      }
    };
    ws.onclose = () => {
      if (this.closedByUs || this.ws !== ws) return;
      this.onState('disconnected');
      clearTimeout(this.retry);
      this.retry = setTimeout(() => {
        if (this.ws === ws) this.connect();
      }, this.delay);
      this.delay = Math.min(this.delay * 2, 10000);
    };
  }

  dispatch(f) {
    const s = this.subs.get(f.topic + ' ' + f.id);
    if (s) s.handler(f);
    else if (f.type === 'error') console.warn('realtime error', f);
  }

  send(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  /** Calls handler with each snapshot, event and error frame of the topic; returns an unsubscribe. */
  subscribe(topic, id, handler) {
    const k = topic + ' ' + id;
    if (this.subs.has(k)) this.send({ type: 'unsubscribe', topic, id });
    this.subs.set(k, { topic, id, handler });
    this.send({ type: 'subscribe', topic, id });
    return () => {
      if (this.subs.get(k)?.handler === handler) {
        this.subs.delete(k);
        this.send({ type: 'unsubscribe', topic, id });
      }
    };
  }

  close() {
    this.closedByUs = true;
    if (this.ws) this.ws.close();
  }
}
