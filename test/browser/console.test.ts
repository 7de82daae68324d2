/**
 * The web console in a real Chromium (puppeteer-core driving the browser @sparticuz/chromium
 * ships), against the whole local stack with the Gemini simulator: nothing is stubbed, every
 * request the page makes reaches the service's own API.
 *
 * The review steps need the review API (`GET /questions` and the rest); they run whenever the
 * route table has it and are reported as skipped otherwise. Downloads are read back as a user's
 * program would: GIFT parsed, the QTI zip unpacked (fflate) and its manifest followed, a content
 * job's JSON compared with the content API's answer.
 *
 * A failing test leaves a screenshot under test-output/browser/ (git-ignored) and prints its path.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ElementHandle, Page } from 'puppeteer-core';
import { afterAll, beforeAll, beforeEach, describe, it } from 'vitest';
import { matchRoute } from '../../lib/routes.ts';
import { type LaunchedBrowser, launchChromium } from '../support/browser.ts';
import { BASE, type Harness, startHarness } from '../support/e2e.ts';
import { readGift, readQti } from '../support/export-parsers.ts';
import { makePdf, PHOTOSYNTHESIS_PAGES } from '../support/pdf.ts';

const REVIEW_API = matchRoute('GET', '/questions') !== undefined;
const REGENERATE_API = matchRoute('POST', '/questions/q1/regenerate') !== undefined;
const DISTRACTOR = 'A clearly different distractor written by the reviewer';
const SCREENSHOTS = resolve(import.meta.dirname, '..', '..', 'test-output', 'browser');
const JOB = { sector: 'technology', career: 'FRONTEND_DEVELOPER', level: 1 };
const RESULT_PATH = `${BASE}/results/sectors/${JOB.sector}/careers/${JOB.career}/levels/${JOB.level}`;

let h: Harness;
let chromium: LaunchedBrowser;
let page: Page;
let downloads: string;
let jobId: string;

beforeAll(async () => {
  h = await startHarness();
  chromium = await launchChromium();
  page = await chromium.browser.newPage();
  await page.setViewport({ width: 1024, height: 800 });
  downloads = await mkdtemp(join(tmpdir(), 'quizgen-console-downloads-'));
  const cdp = await chromium.browser.target().createCDPSession();
  await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
});

afterAll(async () => {
  await chromium?.close();
  await h?.stop();
  if (downloads) await rm(downloads, { recursive: true, force: true });
});

beforeEach(({ task, onTestFailed }) => {
  onTestFailed(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    const file = join(SCREENSHOTS, `${task.name.replace(/[^\w-]+/g, '-').slice(0, 80)}.png`);
    await page?.screenshot({ path: file, fullPage: true }).catch(() => {});
    console.error(`console browser test failed: screenshot at ${file}`);
  });
});

const text = (selector: string) => page.$eval(selector, (el) => el.textContent ?? '');

async function waitForText(selector: string, pattern: RegExp, timeout = 30_000): Promise<string> {
  await page.waitForFunction(
    (sel, source, flags) => new RegExp(source, flags).test(document.querySelector(sel)?.textContent ?? ''),
    { timeout, polling: 100 },
    selector,
    pattern.source,
    pattern.flags,
  );
  return text(selector);
}

/** The one file the browser saved into the download folder, once it is whole (as text and bytes). */
async function downloaded(): Promise<{ name: string; body: string; bytes: Uint8Array }> {
  for (let i = 0; i < 200; i++) {
    const files = (await readdir(downloads)).filter((f) => !f.endsWith('.crdownload'));
    const name = files[0];
    if (name) {
      const bytes = new Uint8Array(await readFile(join(downloads, name)));
      return { name, body: Buffer.from(bytes).toString('utf8'), bytes };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no file was downloaded');
}

/** The job's questions through the review API, as the page sees them. */
async function questions(review?: string): Promise<any[]> {
  const response = await h.call(
    'GET',
    `/questions?job_id=${jobId}&limit=200${review ? `&review=${review}` : ''}`,
  );
  assert.equal(response.status, 200, response.text);
  return response.body.questions;
}

const byId = async (id: string | undefined) => (await questions()).find((q) => q.id === id);
const shownId = () => page.$eval('#card', (el) => (el as HTMLElement).dataset.questionId);
const textOf = (o: any) => (typeof o === 'string' ? o : o.text);

async function replaceValue(selector: string, value: string): Promise<void> {
  await page.$eval(selector, (el) => {
    (el as HTMLInputElement).value = '';
  });
  await page.type(selector, value);
}

async function clearDownloads(): Promise<void> {
  for (const f of await readdir(downloads)) await rm(join(downloads, f), { force: true });
}

describe('the web console at /console, in Chromium', () => {
  it('is served without a key, with a strict Content-Security-Policy, no inline script and immutable assets', async () => {
    const response = await fetch(`${h.url}/console`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    const html = await response.text();
    assert.ok(
      [...html.matchAll(/<script\b[^>]*>/g)].every(([tag]) => / src="/.test(tag)),
      'every script is a file',
    );
    const script = /src="console\/(app-[0-9a-f]+\.js)"/.exec(html)?.[1];
    assert.ok(script, html);
    const asset = await fetch(`${h.url}/console/${script}`);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal((await fetch(`${h.url}/console/..%2Fhealth.ts`)).status, 404);
  });

  it('asks for the API key, keeps it in sessionStorage only, and shows the budget and spend', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`${h.url}/console`, { waitUntil: 'load' });
    assert.equal(await page.$eval('#main', (el) => (el as HTMLElement).hidden), true);
    await page.type('#api-key', h.key);
    await page.click('#key-form button[type=submit]');
    const budget = await waitForText('#budget', /Spent \$\d/);
    assert.match(budget, /no monthly budget set|left/);
    const storage = await page.evaluate(() => ({
      session: Object.values(sessionStorage),
      local: Object.keys(localStorage).length,
      cookies: document.cookie,
    }));
    assert.deepEqual(storage, { session: [h.key], local: 0, cookies: '' });
    assert.deepEqual(errors, [], 'no script errors and no CSP violations');
  });

  it('starts a quiz-bank job and shows its progress, cost and completion', async () => {
    // The form's defaults are the guide's first scenario; set them anyway, as a user would.
    for (const [id, value] of Object.entries(JOB)) {
      await page.$eval(`#${id}`, (el) => {
        (el as HTMLInputElement).value = '';
      });
      await page.type(`#${id}`, String(value));
    }
    await page.click('#start-form button[type=submit]');
    const started = await waitForText('#status', /Quiz-bank job \S+ started/);
    jobId = /job (\S+) started/.exec(started)?.[1] ?? '';
    const row = `#jobs tr[data-job-id="${jobId}"]`;
    await page.waitForSelector(`${row}[data-status="completed"]`, { timeout: 120_000 });
    const cells = await page.$$eval(`${row} td`, (tds) => tds.map((td) => td.textContent ?? ''));
    assert.match(cells[0] ?? '', /technology \/ FRONTEND_DEVELOPER level 1/);
    assert.equal(await page.$eval(`${row} progress`, (p) => (p as HTMLProgressElement).value), 100);
    const job = (await h.call('GET', `${BASE}/jobs/${jobId}`)).body;
    assert.equal(cells[3], `$${job.cost_usd.toFixed(4)}`);
    assert.equal(cells[4], '');
  });

  it('uploads a document, starts an assessment grounded in it, and shows it finishing', async () => {
    const pdf = join(downloads, '..', `${downloads.split('/').pop()}-photosynthesis.pdf`);
    await writeFile(pdf, await makePdf(PHOTOSYNTHESIS_PAGES));
    try {
      await page.click('input[name=kind][value=assessment]');
      await page.waitForSelector('[data-kind=assessment]:not([hidden])');
      const input = await page.$('#document');
      assert.ok(input);
      await (input as ElementHandle<HTMLInputElement>).uploadFile(pdf);
      await page.click('#start-form button[type=submit]');
      const started = await waitForText('#status', /Assessment job \S+ started/, 60_000);
      const assessmentJob = /job (\S+) started/.exec(started)?.[1] ?? '';
      await page.waitForSelector(`#jobs tr[data-job-id="${assessmentJob}"][data-status="completed"]`, {
        timeout: 120_000,
      });
      const status = (await h.call('GET', `/job_status?job_id=${assessmentJob}`)).body;
      assert.equal(status.status, 'finished', JSON.stringify(status));
      assert.equal(status.result.mcqs.length, 5, "the form's mix: 3 remember, 2 apply");
    } finally {
      await rm(pdf, { force: true });
      await page.click('input[name=kind][value=quiz]');
    }
  });

  it("starts a content job for a topic and lists it with the content API's jobs", async () => {
    await page.click('input[name=kind][value=content]');
    await page.waitForSelector('[data-kind=content]:not([hidden])');
    await page.$eval('#topic', (el) => {
      (el as HTMLInputElement).value = '';
    });
    await page.type('#topic', 'Photosynthesis for beginners');
    await page.click('#start-form button[type=submit]');
    const said = await waitForText('#status', /Content job finished|Could not start/, 120_000);
    assert.match(said, /Content job finished/);
    const listed = (await h.call('GET', '/api/jobs')).body;
    const jobs = (listed.data?.jobs ?? listed.output?.jobs ?? listed.jobs) as any[];
    assert.equal(jobs?.length, 1, JSON.stringify(listed));
    await page.waitForSelector('#jobs tr[data-status="completed"] td', { timeout: 10_000 });
    const rows = await page.$$eval('#jobs tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    assert.ok(
      rows.some((r) => r.startsWith('content: Photosynthesis for beginners')),
      rows.join('\n'),
    );
    await page.click('input[name=kind][value=quiz]');
  });

  it("downloads a content job's result from its row: the file is the content API's answer", async () => {
    const listed = (await h.call('GET', '/api/jobs')).body.data.jobs as any[];
    const contentId = String(listed[0]?.id);
    await clearDownloads();
    await page.click(`#jobs tr[data-job-id="${contentId}"] button`);
    await page.waitForSelector('#content-form:not([hidden])');
    assert.equal(await page.$eval('#export-form', (el) => (el as HTMLElement).hidden), true);
    // Its questions, if the content has any in the review API, queue like any other's.
    await waitForText('#queue-count', /Question 1 of \d+|No questions in this view/);
    await page.click('#content-form button[type=submit]');
    const file = await downloaded();
    assert.equal(file.name, `content-${contentId}.json`);
    const answered = await h.call('GET', `/api/jobs/${contentId}/content`);
    assert.equal(answered.status, 200, answered.text);
    assert.deepEqual(JSON.parse(file.body), answered.body.data);
    assert.equal(JSON.parse(file.body).topic, 'Photosynthesis for beginners');
  });

  it.skipIf(!REVIEW_API)(
    'reviews the bank: approves and rejects by keyboard, shows the gate refusing an edit inline, saves a fixed one',
    async () => {
      await page.click(`#jobs tr[data-job-id="${jobId}"] button`);
      await waitForText('#queue-count', /Question 1 of \d+/);
      const before = await questions('pending');
      assert.ok(before.length >= 3, JSON.stringify(before));

      // a approves the question shown, r rejects the next one (the queue shows pending ones).
      const first = await shownId();
      await page.focus('#card');
      await page.keyboard.press('a');
      await waitForText('#status', /approved/);
      const second = await shownId();
      assert.notEqual(second, first);
      await page.keyboard.press('r');
      await waitForText('#status', /rejected/);
      assert.equal((await byId(first)).review.state, 'approved');
      assert.equal((await byId(second)).review.state, 'rejected');

      // e opens the edit form; two equal options fail the gate, whose reasons show inline.
      const third = await shownId();
      const original = await byId(third);
      await page.focus('#card');
      await page.keyboard.press('e');
      await page.waitForSelector('#edit-form:not([hidden])');
      const optionA = await page.$eval('#edit-option-0', (el) => (el as HTMLInputElement).value);
      await replaceValue('#edit-option-1', optionA);
      await page.click('#edit-form button[type=submit]');
      const refusal = await waitForText('#edit-errors', /quality gate refused/);
      assert.match(refusal, /two options have the same text/);
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'edit-errors');
      assert.deepEqual(await byId(third), original, 'a refused edit changes nothing');

      // A fixed edit passes and becomes a new version.
      await replaceValue('#edit-option-1', DISTRACTOR);
      await page.click('#edit-form button[type=submit]');
      await waitForText('#status', /Edit saved/);
      const edited = await byId(third);
      assert.equal(edited.review.version, original.review.version + 1);
      assert.ok(edited.options.map(textOf).includes(DISTRACTOR), JSON.stringify(edited.options));
    },
  );

  it.skipIf(!REGENERATE_API)(
    'regenerates the shown question with instructions; the replacement arrives pending',
    async () => {
      const old = await shownId();
      await page.type('#regen-instructions', 'make it harder');
      await page.click('#regen-form button[type=submit]');
      const said = await waitForText('#status', /Regenerating the question: job \S+/);
      const regenJob = /job (\S+?)\./.exec(said)?.[1];
      await page.waitForSelector(`#jobs tr[data-job-id="${regenJob}"][data-status="completed"]`, {
        timeout: 120_000,
      });
      const all = await questions();
      const replacement = all.find((q) => q.replaces === old);
      assert.ok(replacement, `a question replaces ${old}: ${JSON.stringify(all.map((q) => q.replaces))}`);
      assert.equal(replacement.review.state, 'pending');
      assert.equal(all.find((q) => q.id === old)?.review.state, 'rejected');
    },
  );

  it.skipIf(!REVIEW_API)('approves every pending question at once', async () => {
    await page.select('#review-filter', 'approved');
    await page.select('#review-filter', 'pending');
    await waitForText('#queue-count', /Question 1 of \d+/);
    const pending = (await questions('pending')).map((q) => q.id).sort();
    assert.ok(pending.length > 0);
    await page.click('#bulk-approve');
    await waitForText('#status', /\d+ questions approved/);
    assert.deepEqual(await questions('pending'), []);
    for (const id of pending) assert.equal((await byId(id)).review.state, 'approved');
    // The card names who decided by the API key's name (the local stack's first key).
    await page.select('#review-filter', 'approved');
    await waitForText('#card', /^approved by default · version \d/);
  });

  it.skipIf(!REVIEW_API)(
    'exports only the approved questions, and the GIFT file holds exactly them',
    async () => {
      await clearDownloads();
      await page.select('#format', 'gift');
      await page.$eval('#approved-only', (el) => {
        (el as HTMLInputElement).checked = true;
      });
      await page.click('#export-form button[type=submit]');
      const file = await downloaded();
      const approved = (await questions('approved')).map((q) => q.question).sort();
      const rejected = (await questions('rejected')).map((q) => q.question);
      assert.ok(approved.length > 0 && rejected.length > 0);
      assert.deepEqual(
        readGift(file.body)
          .questions.map((q) => q.question)
          .sort(),
        approved,
      );
    },
  );

  it.skipIf(!REVIEW_API)(
    'exports the approved questions as a QTI 2.1 zip: the archive holds the manifest, the test and one item each',
    async () => {
      await clearDownloads();
      await page.select('#format', 'qti21');
      await page.$eval('#approved-only', (el) => {
        (el as HTMLInputElement).checked = true;
      });
      await page.click('#export-form button[type=submit]');
      const file = await downloaded();
      assert.match(file.name, /\.zip$/);
      // The archive read as an LMS reads it (fflate's unzip, then the manifest's resources).
      const qti = readQti(file.bytes, '2.1');
      const entries = [...qti.files.keys()].sort();
      const approved = await questions('approved');
      assert.ok(entries.includes('imsmanifest.xml'), entries.join(', '));
      assert.ok(entries.includes(qti.testResource['@_href']), entries.join(', '));
      assert.equal(entries.filter((e) => e.startsWith('items/')).length, approved.length, entries.join(', '));
      assert.deepEqual(qti.questions.map((q) => q.question).sort(), approved.map((q) => q.question).sort());
    },
  );

  it('exports the whole bank as GIFT from the job, and the downloaded file holds every question of its result', async () => {
    await clearDownloads();
    if (!REVIEW_API) await page.click(`#jobs tr[data-job-id="${jobId}"] button`);
    await page.waitForSelector('#export:not([hidden])');
    await page.select('#format', 'gift');
    await page.$eval('#approved-only', (el) => {
      (el as HTMLInputElement).checked = false;
    });
    await page.click('#export-form button[type=submit]');
    const file = await downloaded();
    assert.match(file.name, /\.txt$/);
    const result = (await h.call('GET', RESULT_PATH)).body;
    const expected = (result.quiz_pool as any[]).map((q) => q.question).sort();
    assert.ok(expected.length >= 3);
    assert.deepEqual(
      readGift(file.body)
        .questions.map((q) => q.question)
        .sort(),
      expected,
    );
  });

  it('works at 375 px wide: no sideways scrolling, every field labelled, text at 4.5:1 contrast, focus visible', async () => {
    await page.setViewport({ width: 375, height: 800 });
    const layout = await page.evaluate(() => ({
      width: document.documentElement.scrollWidth,
      unlabelled: [...document.querySelectorAll('input, select, textarea')]
        .filter((el) => !(el as HTMLElement).closest('[hidden]'))
        .filter((el) => (el as HTMLInputElement).labels?.length === 0 && !el.getAttribute('aria-label'))
        .map((el) => el.id || el.outerHTML),
    }));
    assert.ok(layout.width <= 375, `page is ${layout.width} px wide`);
    assert.deepEqual(layout.unlabelled, []);
    // WCAG's contrast ratio of every visible text against the background it sits on.
    const lowContrast = await page.evaluate(() => {
      const rgb = (css: string) => (css.match(/[\d.]+/g) ?? []).map(Number);
      const luminance = ([r = 0, g = 0, b = 0]: number[]) => {
        const [R = 0, G = 0, B = 0] = [r, g, b].map((v) => {
          const c = v / 255;
          return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * R + 0.7152 * G + 0.0722 * B;
      };
      const background = (el: Element | null): number[] => {
        for (let e = el; e; e = e.parentElement) {
          const [r, g, b, a = 1] = rgb(getComputedStyle(e).backgroundColor);
          if (a > 0 && r !== undefined) return [r, g ?? 0, b ?? 0];
        }
        return [255, 255, 255];
      };
      const found: string[] = [];
      for (const el of document.querySelectorAll('body *')) {
        const own = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent?.trim());
        if (!own || (el as HTMLElement).offsetParent === null || (el as HTMLButtonElement).disabled) continue;
        const fg = luminance(rgb(getComputedStyle(el).color));
        const bg = luminance(background(el));
        const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
        if (ratio < 4.5)
          found.push(`${el.tagName} "${el.textContent?.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
      }
      return found;
    });
    assert.deepEqual(lowContrast, []);
    // Tab order follows the page: from the key field, the next stop is its button, and the
    // keyboard's focus shows (an outline, not the browser's default that some themes hide).
    await page.focus('#api-key');
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      const style = getComputedStyle(el);
      return {
        text: el.textContent,
        outline: `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`,
      };
    });
    assert.deepEqual(focused, { text: 'Use key', outline: 'solid 3px rgb(179, 38, 30)' });
  });
});
