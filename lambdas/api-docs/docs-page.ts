/**
 * `/docs`: the OpenAPI document as one static HTML page, rendered here from the document. No
 * script, no CDN and no vendored viewer: Swagger UI's (swagger-ui-dist 5.36.0) is a 1.8 MB
 * script and 200 KB of CSS for what a list of routes, their parameters and schemas shows too, and
 * a page without scripts can be served under a `default-src 'none'` content security policy.
 */
import type { JsonSchema } from '#platform/openapi.ts';

const htmlEscape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

interface Operation {
  tags?: string[];
  summary?: string;
  description?: string;
  operationId?: string;
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: JsonSchema }[];
  requestBody?: { content: Record<string, { schema?: JsonSchema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema?: JsonSchema }> }>;
  security?: unknown[];
}

const schemaBlock = (schema: JsonSchema | undefined) =>
  schema ? `<pre>${htmlEscape(JSON.stringify(schema, null, 2))}</pre>` : '';

function parametersTable(parameters: NonNullable<Operation['parameters']>): string {
  const rows = parameters
    .map((p) => {
      const type = p.schema ? JSON.stringify({ ...p.schema, description: undefined }) : '';
      return `<tr><td><code>${htmlEscape(p.name)}</code></td><td>${p.in}</td><td>${p.required ? 'yes' : 'no'}</td><td><code>${htmlEscape(type)}</code></td><td>${htmlEscape(p.description ?? '')}</td></tr>`;
    })
    .join('');
  return `<table><caption>Parameters</caption><thead><tr><th scope="col">name</th><th scope="col">in</th><th scope="col">required</th><th scope="col">schema</th><th scope="col">description</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function operationHtml(method: string, path: string, op: Operation): string {
  const body = op.requestBody
    ? `<h4>Request body</h4>${Object.entries(op.requestBody.content)
        .map(([type, c]) => `<p><code>${htmlEscape(type)}</code></p>${schemaBlock(c.schema)}`)
        .join('')}`
    : '';
  const responses = Object.entries(op.responses)
    .map(([status, r]) => {
      const content = Object.entries(r.content ?? {})
        .map(([type, c]) => `<p><code>${htmlEscape(type)}</code></p>${schemaBlock(c.schema)}`)
        .join('');
      return `<li><strong>${htmlEscape(status)}</strong> ${htmlEscape(r.description)}${content}</li>`;
    })
    .join('');
  return `<details id="${htmlEscape(op.operationId ?? `${method}-${path}`)}"><summary><span class="m ${method}">${method.toUpperCase()}</span> <code>${htmlEscape(path)}</code> ${htmlEscape(op.summary ?? '')}${op.security?.length === 0 ? ' <em>(no key)</em>' : ''}</summary>
${op.description ? `<p>${htmlEscape(op.description)}</p>` : ''}${op.parameters?.length ? parametersTable(op.parameters) : ''}${body}<h4>Responses</h4><ul>${responses}</ul></details>`;
}

/** The page for `document`, an OpenAPI 3.1 document as `openApiDocument` builds it. */
export function docsPage(document: JsonSchema): string {
  const info = document.info as { title: string; description?: string };
  const tags = (document.tags ?? []) as { name: string; description?: string }[];
  const paths = document.paths as Record<string, Record<string, Operation>>;
  const sections = tags.map((tag) => {
    const ops = Object.entries(paths).flatMap(([path, item]) =>
      METHODS.flatMap((method) => {
        const op = item[method];
        return op?.tags?.includes(tag.name) ? [operationHtml(method, path, op)] : [];
      }),
    );
    return `<section><h2>${htmlEscape(tag.name)}</h2><p>${htmlEscape(tag.description ?? '')}</p>${ops.join('\n')}</section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${htmlEscape(info.title)}</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem;color:#1a1a1a;background:#fff}
details{border:1px solid #bbb;border-radius:4px;margin:.4rem 0;padding:.3rem .6rem}
summary{cursor:pointer}summary:focus-visible{outline:3px solid #0550ae}
.m{display:inline-block;min-width:4.2rem;font-weight:700;font-family:monospace}
.get{color:#0a5c2c}.post{color:#0550ae}.put{color:#7a4a00}.delete{color:#a40e26}.patch{color:#5a32a3}
pre{background:#f4f4f4;padding:.5rem;overflow:auto;font-size:.85rem}
table{border-collapse:collapse;width:100%;font-size:.9rem;display:block;overflow-x:auto}th,td{border:1px solid #ccc;padding:.2rem .4rem;text-align:left;vertical-align:top}
caption{text-align:left;font-weight:700}
</style></head>
<body><main><h1>${htmlEscape(info.title)}</h1><p>${htmlEscape(info.description ?? '')}</p>
<p>The machine-readable document: <a href="openapi.json">openapi.json</a> (OpenAPI 3.1).</p>
${sections.join('\n')}
</main></body></html>
`;
}
