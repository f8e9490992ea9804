// A WebSocket to one of the cell's live endpoints (/api/v1/stream in cell.js,
// /api/v1/notifications/live in notify.js), connected again after any close until the page
// is left. A subclass says where to connect (url(): it carries where to resume) and what a
// frame means (frame()); the wait before connecting again is jittered and doubles from
// 1 s up to 30 s, and starts again at 1 s once the endpoint says it is settled().

const FIRST_WAIT = 1000;
const LONGEST_WAIT = 30000;

/** `path` on this page's origin, as a ws: or wss: URL. */
export function socketUrl(path) {
  const u = new URL(path, window.location.href);
  u.protocol = window.location.protocol === "https:" ? "wss:" : "ws:";
  return u;
}

export class LiveSocket {
  constructor() {
    this.delay = FIRST_WAIT;
    this.ws = null;
    this.stopped = false;
  }

  /** The URL to connect to now. */
  url() {
    throw new Error("LiveSocket.url");
  }

  /** One frame, parsed (frames that are not JSON are dropped). */
  frame(_f) {}

  /** A close, whether or not it is followed by a new connection. */
  onClose(_ev) {}

  /** How long to wait after `ev` before connecting again, in ms. */
  retryAfter(_ev) {
    return this.backoff();
  }

  start() {
    window.addEventListener("pagehide", () => {
      this.stopped = true;
      if (this.ws) this.ws.close(1000);
    });
    this.connect();
  }

  connect() {
    if (this.stopped) return;
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.addEventListener("message", (ev) => {
      let f;
      try {
        f = JSON.parse(ev.data);
      } catch {
        return;
      }
      this.frame(f);
    });
    ws.addEventListener("close", (ev) => {
      this.onClose(ev);
      if (this.stopped) return;
      setTimeout(() => this.connect(), this.retryAfter(ev));
    });
  }

  /** The next jittered wait, doubling the one after it. */
  backoff() {
    const wait = this.delay * (0.75 + Math.random() / 2);
    this.delay = Math.min(this.delay * 2, LONGEST_WAIT);
    return wait;
  }

  /** The endpoint answered as it should: the next failure waits the shortest time again. */
  settled() {
    this.delay = FIRST_WAIT;
  }
}
