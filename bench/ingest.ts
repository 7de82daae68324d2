/**
 * Part of `npm run bench` (bench/run.ts), or `npx node bench/ingest.ts` alone: ingests a generated
 * 300-page PDF the way the ingestion worker does
 * (read from S3, extract, split, embed, store the index, mark the document ready) and reports
 * time per phase and peak memory against the ingest function's limits (2048 MB, 900 s).
 *
 * The parent process starts dynalite, s3rver and the Gemini simulator (behind a proxy that adds
 * a per-call latency, since the simulator answers embeddings at once), makes the PDF and uploads
 * it. The ingestion runs in a child process, so its peak RSS is the ingestion's alone, as
 * Lambda would measure it: the servers and the PDF generation live elsewhere.
 *
 * Knobs (environment): BENCH_PAGES (300), BENCH_CHARS_PER_PAGE (2500), BENCH_IMAGE_KB (0: an
 * incompressible image of this size behind each page's text, for realistic file sizes),
 * BENCH_EMBED_LATENCY_MS (800: per embedding call), BENCH_EMBED_RPM (1500).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { printReport, recordFigures, runChildForReport } from './support.ts';

const LAMBDA = { memoryMb: 2048, timeoutSeconds: 900 } as const;

function numberFromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return value;
}

const mib = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MB`;

interface ChildReport {
  result: import('#assessments/documents/ingest-pipeline.ts').IngestResult;
  totalMs: number;
  status: string;
  peak: { rss: number; heapUsed: number; external: number; arrayBuffers: number };
  maxRssBytes: number;
  startRss: number;
}

// ---------------------------------------------------------------------------------------------
// Child: the "Lambda"

async function child(): Promise<void> {
  const peak = { rss: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
    peak.external = Math.max(peak.external, m.external);
    peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers);
  };
  const sampler = setInterval(sample, 10);
  const startRss = process.memoryUsage().rss;
  const { ingestDocument, documentSettings } = await import('#assessments/documents/ingest-pipeline.ts');
  const { markDocumentReady } = await import('#assessments/documents/document-service.ts');
  const owner = process.env.BENCH_OWNER as string;
  const documentId = process.env.BENCH_DOCUMENT_ID as string;
  const settings = documentSettings();
  const started = Date.now();
  const result = await ingestDocument({
    owner,
    documentId,
    contentType: 'application/pdf',
    apiKey: 'bench-key',
    settings,
    deadline: started + (LAMBDA.timeoutSeconds - 20) * 1000,
  });
  const updated = await markDocumentReady(
    { owner, document_id: documentId },
    result,
    settings.embeddingModel,
  );
  const totalMs = Date.now() - started;
  sample();
  clearInterval(sampler);
  const report: ChildReport = {
    result,
    totalMs,
    status: updated?.status ?? 'missing',
    peak,
    // resourceUsage().maxRSS is in kilobytes (ru_maxrss).
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    startRss,
  };
  printReport(report);
}

// ---------------------------------------------------------------------------------------------
// Parent: servers, the PDF, the report

/** Delays each embedding call by `latencyMs` before passing it to the simulator. */
async function startLatencyProxy(target: string, latencyMs: number) {
  let calls = 0;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (/Embed/.test(req.url ?? '')) {
      calls += 1;
      await sleep(latencyMs);
    }
    const answer = await fetch(`${target}${req.url}`, {
      method: req.method,
      headers: {
        'content-type': 'application/json',
        'x-goog-api-key': String(req.headers['x-goog-api-key']),
      },
      body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
    });
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls: () => calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function parent(): Promise<void> {
  const pages = numberFromEnv('BENCH_PAGES', 300);
  const charsPerPage = numberFromEnv('BENCH_CHARS_PER_PAGE', 2500);
  const imageKb = numberFromEnv('BENCH_IMAGE_KB', 0);
  const latencyMs = numberFromEnv('BENCH_EMBED_LATENCY_MS', 800);
  const rpm = numberFromEnv('BENCH_EMBED_RPM', 1500);
  const command =
    `BENCH_PAGES=${pages} BENCH_CHARS_PER_PAGE=${charsPerPage} BENCH_IMAGE_KB=${imageKb} ` +
    `BENCH_EMBED_LATENCY_MS=${latencyMs} BENCH_EMBED_RPM=${rpm} npx node bench/ingest.ts`;

  const { startLocalAws } = await import('../test/support/local-aws.ts');
  const { startGeminiSimulator } = await import('../local/gemini-simulator/index.ts');
  const { makePdf, textbookPages } = await import('../test/support/pdf.ts');
  const sim = await startGeminiSimulator();
  const proxy = await startLatencyProxy(sim.url, latencyMs);
  const aws = await startLocalAws({
    tableName: 'quizgen-bench',
    bucketName: 'quizgen-bench',
    env: { GEMINI_BASE_URL: proxy.url, EMBEDDING_REQUESTS_PER_MINUTE: String(rpm) },
  });
  try {
    const store = await import('#assessments/documents/document-store.ts');
    const { newDocument } = await import('#assessments/documents/document-service.ts');
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');

    let at = Date.now();
    const pdf = await makePdf(textbookPages(pages, charsPerPage), {
      ...(imageKb > 0 ? { imageBytesPerPage: imageKb * 1024 } : {}),
    });
    const makeMs = Date.now() - at;

    const owner = 'bench';
    // Ingesting already, as `startIngestion` leaves a document whose file is uploaded.
    const document = newDocument(owner, 'textbook.pdf', 'application/pdf', pdf.byteLength);
    const documentId = document.document_id;
    await store.createDocument({ ...document, status: 'ingesting', ingest_started_at: document.created_at });
    await aws.s3Client.send(
      new PutObjectCommand({
        Bucket: aws.bucketName,
        Key: store.documentKeys.source(owner, documentId),
        Body: pdf,
      }),
    );

    at = Date.now();
    const report = await runChildForReport<ChildReport>(import.meta.filename, ['--child'], {
      BENCH_OWNER: owner,
      BENCH_DOCUMENT_ID: documentId,
    });
    const childWallMs = Date.now() - at;
    const { result } = report;
    const t = result.timings;
    const limitBytes = LAMBDA.memoryMb * 1024 * 1024;
    const peakRss = Math.max(report.maxRssBytes, report.peak.rss);

    const rows: [string, string][] = [
      ['PDF', `${pages} pages, ${mib(pdf.byteLength)} (${pdf.byteLength} bytes), made in ${makeMs} ms`],
      [
        'Extracted',
        `${result.pages} pages (${result.pagesWithoutText} without text), ${result.characters} characters`,
      ],
      [
        'Passages',
        `${result.passages} (${(result.characters / Math.max(1, result.passages)).toFixed(0)} chars avg)`,
      ],
      [
        'Embedding',
        `${result.embeddingCalls} calls of <= 100 texts, simulator + ${latencyMs} ms latency per call, ${rpm} rpm`,
      ],
      ['Download from S3', `${t.downloadMs} ms`],
      [
        'Extract (pdf.js)',
        `${t.extractMs} ms (${(t.extractMs / Math.max(1, result.pages)).toFixed(1)} ms/page)`,
      ],
      ['Split', `${t.splitMs} ms`],
      ['Embed', `${t.embedMs} ms`],
      ['Store index', `${t.storeMs} ms`],
      [
        'Total',
        `${report.totalMs} ms (status ${report.status}); process incl. start-up ${childWallMs} ms; ` +
          `limit ${LAMBDA.timeoutSeconds} s -> ${((report.totalMs / (LAMBDA.timeoutSeconds * 1000)) * 100).toFixed(1)}%`,
      ],
      [
        'Peak RSS',
        `${mib(peakRss)} (at start ${mib(report.startRss)}); limit ${LAMBDA.memoryMb} MB -> ` +
          `${((peakRss / limitBytes) * 100).toFixed(1)}%`,
      ],
      [
        'Peak heap / external',
        `heapUsed ${mib(report.peak.heapUsed)}, external ${mib(report.peak.external)}, ` +
          `arrayBuffers ${mib(report.peak.arrayBuffers)} (sampled every 10 ms)`,
      ],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    console.log(`\nDocument ingestion benchmark (Node ${process.version}, ${process.arch})`);
    for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
    console.log(`\n  command: ${command}\n`);
    recordFigures([
      {
        figure: `ingest: ${pages}-page PDF (${mib(pdf.byteLength)}), total time`,
        value:
          `${(report.totalMs / 1000).toFixed(1)} s (extract ${(t.extractMs / 1000).toFixed(1)} s, embed ` +
          `${(t.embedMs / 1000).toFixed(1)} s; status ${report.status}); limit ${LAMBDA.timeoutSeconds} s`,
        command,
      },
      {
        figure: 'ingest: peak RSS',
        value: `${mib(peakRss)}; limit ${LAMBDA.memoryMb} MB`,
        command,
      },
    ]);
    if (report.status !== 'ready') process.exitCode = 1;
  } finally {
    await proxy.close();
    await sim.close();
    await aws.stop();
  }
}

if (process.argv.includes('--child')) await child();
else await parent();
