// This file is part of the EV charging platform. The COPYRIGHT file at the
// top level of this repository holds the copyright notices and license terms.

// Builds the client PWA into dist/: app.js (minified bundle of src/),
// app.css (ours + Leaflet's + markercluster's), Leaflet's images, the icons,
// index.html, the manifest and sw.js, whose version is a hash of the rest.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { ICONS, drawIcon } from './tools/icons.mjs';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');
// The budget for the compressed JS+CSS of the first load.
const BUDGET = 250 * 1024;

function walk(folder) {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'icons'), { recursive: true });

await esbuild.build({
  entryPoints: {
    app: join(root, 'src', 'main.js'),
  },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2020', 'chrome90', 'firefox90', 'safari15'],
  outdir: dist,
  loader: { '.png': 'file', '.json': 'json' },
  assetNames: 'images/[name]',
  legalComments: 'none',
  logLevel: 'warning',
});
await esbuild.build({
  entryPoints: { app: join(root, 'src', 'app.css') },
  bundle: true,
  minify: true,
  outdir: dist,
  loader: { '.png': 'file' },
  // No hash: Leaflet finds its default marker by the image's name.
  assetNames: 'images/[name]',
  logLevel: 'warning',
});

const images = join(root, 'node_modules', 'leaflet', 'dist', 'images');
mkdirSync(join(dist, 'images'), { recursive: true });
for (const name of readdirSync(images)) {
  copyFileSync(join(images, name), join(dist, 'images', name));
}
for (const icon of ICONS) {
  writeFileSync(join(dist, 'icons', icon.file), drawIcon(icon.size, icon));
}
copyFileSync(
  join(root, 'manifest.webmanifest'), join(dist, 'manifest.webmanifest'));

// The shell's version: a hash of every built file but sw.js and index.html
// (index.html carries it, so it is hashed after the substitution below).
const hash = createHash('sha256');
const assets = walk(dist).sort();
for (const path of assets) {
  hash.update(relative(dist, path));
  hash.update(readFileSync(path));
}
hash.update(readFileSync(join(root, 'index.html')));
hash.update(readFileSync(join(root, 'src', 'sw.js')));
const version = hash.digest('hex').slice(0, 12);

writeFileSync(
  join(dist, 'index.html'),
  readFileSync(join(root, 'index.html'), 'utf8')
    .replaceAll('__VERSION__', version));

const precache = ['./', ...walk(dist)
  .map((path) => relative(dist, path).split('\\').join('/'))
  .filter((name) => name !== 'index.html' && !name.endsWith('.map'))
  .sort()
  .map((name) => (name === 'app.js' || name === 'app.css'
    ? `./${name}?v=${version}` : `./${name}`))];
const worker = readFileSync(join(root, 'src', 'sw.js'), 'utf8')
  .replace('__VERSION__', version)
  .replace('__PRECACHE__', JSON.stringify(precache));
const minified = await esbuild.transform(worker, {
  minify: true, target: 'es2020',
  banner: '// This file is part of the EV charging platform. The COPYRIGHT'
    + ' file at the top level of this repository holds the copyright'
    + ' notices and license terms.',
});
writeFileSync(join(dist, 'sw.js'), minified.code);

let total = 0;
console.log(`ev_portal_pwa web build ${version}`);
for (const name of ['index.html', 'app.js', 'app.css', 'sw.js']) {
  const data = readFileSync(join(dist, name));
  const gzip = gzipSync(data, { level: 9 }).length;
  if (name.endsWith('.js') && name !== 'sw.js' || name.endsWith('.css')) {
    total += gzip;
  }
  console.log(`  ${name.padEnd(12)} ${String(data.length).padStart(8)} B`
    + `  gzip ${String(gzip).padStart(7)} B`);
}
console.log(`  first load JS+CSS gzip: ${total} B`
  + ` (budget ${BUDGET} B)`);
if (total > BUDGET) {
  console.error('The first load is over the 250 KB budget.');
  process.exit(1);
}
