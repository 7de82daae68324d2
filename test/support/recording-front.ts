/**
 * A front for Gemini that keeps the prompts it passes on: a loopback HTTP proxy to `target`
 * (the simulator, started by the test) that records the texts of every generateContent request,
 * for tests that must see what a prompt said (the simulator answers from the prompt but keeps
 * no copy). The stack reaches it as a deployed one reaches a gateway, through GEMINI_BASE_URL.
 * It can also hold back the requests whose prompt a test names (`hold`), to keep a job running.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordingFront {
  url: string;
  /** The text parts of every generateContent request so far, one string per request, in order. */
  prompts(): string[];
  /**
   * Holds every generateContent request whose prompt `matches` until `release()` (then passes
   * them on, and later ones straight through); `reached` resolves when the first one arrives.
   */
  hold(matches: (prompt: string) => boolean): { reached: Promise<void>; release(): void };
  close(): Promise<void>;
}

interface Hold {
  matches: (prompt: string) => boolean;
  arrived: () => void;
  released: Promise<void>;
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function textsOf(body: Buffer): string {
  try {
    const request = JSON.parse(body.toString('utf8')) as { contents?: { parts?: { text?: unknown }[] }[] };
    return (request.contents ?? [])
      .flatMap((c) => c.parts ?? [])
      .flatMap((p) => (typeof p.text === 'string' ? [p.text] : []))
      .join('\n');
  } catch {
    return '';
  }
}

export async function startRecordingFront(target: string): Promise<RecordingFront> {
  const prompts: string[] = [];
  const holds: Hold[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const body = await bodyOf(req);
      if (req.method === 'POST' && req.url?.includes(':generateContent')) {
        const prompt = textsOf(body);
        prompts.push(prompt);
        for (const hold of holds.filter((h) => h.matches(prompt))) {
          hold.arrived();
          await hold.released;
        }
      }
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (name === 'host' || name === 'content-length' || value === undefined) continue;
        headers.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      const answer = await fetch(`${target}${req.url ?? ''}`, {
        method: req.method,
        headers,
        body: body.length > 0 ? body : undefined,
      });
      const payload = Buffer.from(await answer.arrayBuffer());
      const out: Record<string, string> = {};
      // fetch decoded the body already, so its encoding and length headers no longer hold.
      answer.headers.forEach((value, name) => {
        if (!['content-encoding', 'content-length', 'transfer-encoding', 'connection'].includes(name))
          out[name] = value;
      });
      res.writeHead(answer.status, out);
      res.end(payload);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    prompts: () => [...prompts],
    hold(matches) {
      let arrived = () => {};
      let release = () => {};
      const reached = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      holds.push({ matches, arrived, released });
      return { reached, release };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
