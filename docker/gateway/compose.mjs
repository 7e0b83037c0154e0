// Composes the supergraph from live subgraphs: fetch each `{ _service { sdl } }`, compose with the Guild
// composer, fail loudly on any composition error, and write the result atomically (Hive Gateway watches the
// file, so it must never see a half-written one).
//
// usage: node compose.mjs --out supergraph.graphql name=http://127.0.0.1:4101/graphql [name=url ...]
//        node compose.mjs --out supergraph.graphql --sdl-dir dir name=url ...  (SDL read from dir/<name>.graphql)
import { renameSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';

function parseArgs(argv) {
  const options = { out: null, sdlDir: null, services: [] };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--out') options.out = argv[++i];
    else if (arg === '--sdl-dir') options.sdlDir = argv[++i];
    else {
      const eq = arg.indexOf('=');
      if (eq <= 0) throw new Error(`expected name=url, got ${JSON.stringify(arg)}`);
      options.services.push({ name: arg.slice(0, eq), url: arg.slice(eq + 1) });
    }
  }
  if (!options.out || options.services.length === 0) {
    throw new Error('usage: compose.mjs --out FILE [--sdl-dir DIR] name=url [name=url ...]');
  }
  return options;
}

async function fetchSdl(url) {
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  // Production subgraphs give their SDL only with their shared secret (see gateway.config.mjs).
  if (process.env.GOVGRAPH_SUBGRAPH_SECRET) headers['govgraph-subgraph-secret'] = process.env.GOVGRAPH_SUBGRAPH_SECRET;
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query: '{ _service { sdl } }' }),
  });
  if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
  const body = await response.json();
  if (body.errors?.length) throw new Error(`${url}: ${JSON.stringify(body.errors)}`);
  return body.data._service.sdl;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const services = [];
  for (const { name, url } of options.services) {
    const sdl = options.sdlDir ? readFileSync(join(options.sdlDir, `${name}.graphql`), 'utf8') : await fetchSdl(url);
    services.push({ name, url, typeDefs: parse(sdl) });
  }
  const result = composeServices(services);
  if (result.errors?.length) {
    for (const error of result.errors) console.error(`composition error: ${error.message}`);
    process.exit(1);
  }
  const temporary = join(dirname(options.out), `.${Date.now()}.${process.pid}.supergraph.tmp`);
  writeFileSync(temporary, result.supergraphSdl.endsWith('\n') ? result.supergraphSdl : `${result.supergraphSdl}\n`);
  renameSync(temporary, options.out);
}

main().catch((error) => {
  console.error(`compose failed: ${error.message}`);
  process.exit(1);
});
