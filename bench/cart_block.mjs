#!/usr/bin/env node
// What the cart-page consent block (extensions/cart-consent/) costs a storefront.
//
//   node bench/cart_block.mjs [--runs 5] [--size-only] [--keep] [--chrome /usr/bin/chromium]
//
// 1. Payload: each asset's bytes raw, gzip and brotli (node:zlib, maximum levels), the rendered
//    block's HTML (the real blocks/consent.liquid through the Vitest fixture's liquidjs renderer),
//    how the .liquid loads its script (defer/async), and that the script and stylesheet import
//    nothing (no import/require, no external URL).
// 2. Lighthouse (the `lighthouse` devDependency of extensions/, Node API, default mobile config with
//    simulated throttling, performance category only) on a generated storefront-like cart page
//    served on loopback, WITHOUT (A) and WITH (B) the block, interleaved A B A B. It prints each run
//    with `uptime`, the medians of both, their difference in points, and LCP/TBT/CLS medians.
//
// Offline by construction: every URL in the pages is a loopback one, and the bench checks that every
// request Lighthouse saw went to one of its two servers.
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import {createRequire} from 'node:module';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';
import zlib from 'node:zlib';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const EXT = path.join(ROOT, 'extensions');
const BLOCK_DIR = path.join(EXT, 'cart-consent');
const requireExt = createRequire(path.join(EXT, 'package.json'));

// ---------------------------------------------------------------------------------------------
// arguments

function parseArgs(argv) {
  const args = {runs: 5, sizeOnly: false, keep: false, chrome: process.env.CHROMIUM_PATH || '/usr/bin/chromium'};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') args.runs = Number(argv[++i]);
    else if (a === '--size-only') args.sizeOnly = true;
    else if (a === '--keep') args.keep = true;
    else if (a === '--chrome') args.chrome = argv[++i];
    else if (a === '-h' || a === '--help') {
      console.log('node bench/cart_block.mjs [--runs N (default 5, per variant)] [--size-only] [--keep] [--chrome PATH]');
      process.exit(0);
    } else {
      console.error(`unknown argument ${a}`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(args.runs) || args.runs < 1) {
    console.error('--runs must be a positive integer');
    process.exit(2);
  }
  return args;
}

// ---------------------------------------------------------------------------------------------
// sizes

const gzip = (buf) => zlib.gzipSync(buf, {level: 9}).length;
const brotli = (buf) =>
  zlib.brotliCompressSync(buf, {
    params: {[zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: buf.length},
  }).length;

function sizes(buf) {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf);
  return {raw: b.length, gzip: gzip(b), brotli: brotli(b)};
}

/** Source without comments (block and line), strings kept: good enough for a dependency scan. */
function stripJsComments(source) {
  let out = '';
  let i = 0;
  let quote = null;
  while (i < source.length) {
    const c = source[i];
    const next = source[i + 1];
    if (quote) {
      out += c;
      if (c === '\\') {
        out += next ?? '';
        i += 2;
        continue;
      }
      if (c === quote) quote = null;
      i++;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      quote = c;
      out += c;
      i++;
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end < 0 ? source.length : end + 2;
    } else if (c === '/' && next === '/') {
      const end = source.indexOf('\n', i);
      i = end < 0 ? source.length : end;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function scanScript(source) {
  const code = stripJsComments(source);
  const findings = [];
  const rules = [
    [/\bimport\s*[\s{*'"(]/, 'import statement or import()'],
    [/\brequire\s*\(/, 'require()'],
    [/\bimportScripts\s*\(/, 'importScripts()'],
    [/\bnew\s+(Shared)?Worker\s*\(/, 'a worker'],
    [/createElement\(\s*['"]script['"]/, 'injects a <script>'],
    [/\b(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/i, 'an absolute or protocol-relative URL'],
    [/\beval\s*\(|new\s+Function\s*\(/, 'eval / new Function'],
  ];
  for (const [re, what] of rules) {
    const m = code.match(re);
    if (m) findings.push(`${what}: ${JSON.stringify(m[0])}`);
  }
  const fetches = [...code.matchAll(/\bfetch\s*\(\s*([^,]+),/g)].map((m) => m[1].trim());
  return {findings, fetches};
}

function scanStylesheet(source) {
  const findings = [];
  if (/@import\b/i.test(source)) findings.push('@import');
  if (/url\s*\(/i.test(source)) findings.push('url(…)');
  if (/@font-face\b/i.test(source)) findings.push('@font-face');
  return findings;
}

/** How blocks/consent.liquid loads JavaScript: its own <script> tags, and the schema's `javascript`. */
function liquidScripts(source, schema) {
  const tags = [...source.replace(/{%-?\s*schema[\s\S]*$/, '').matchAll(/<script\b([^>]*)>/gi)].map((m) => {
    const attrs = m[1];
    return {
      tag: m[0],
      src: /\bsrc\s*=/.test(attrs),
      defer: /\bdefer\b/i.test(attrs),
      async: /\basync\b/i.test(attrs),
      module: /type\s*=\s*["']?module/i.test(attrs),
    };
  });
  const filters = [...source.matchAll(/\|\s*(script_tag|stylesheet_tag)\b/g)].map((m) => m[1]);
  return {tags, filters, schemaJavascript: schema.javascript ?? null, schemaStylesheet: schema.stylesheet ?? null};
}

function fmtBytes(n) {
  return `${n.toLocaleString('en-US')} B`;
}

function pad(s, n) {
  s = String(s);
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function lpad(s, n) {
  s = String(s);
  return s.length >= n ? s : ' '.repeat(n - s.length) + s;
}

async function loadFixture() {
  // extensions/package.json has no "type": "module"; Node warns once when it reparses the fixture as ESM.
  process.removeAllListeners('warning');
  process.on('warning', (w) => {
    if (w.code !== 'MODULE_TYPELESS_PACKAGE_JSON') console.warn(`${w.name}: ${w.message}`);
  });
  // The same renderer as test/cart-consent.browser.test.js: the real .liquid, the real locales.
  return import(pathToFileURL(path.join(EXT, 'test', 'cart-fixture.js')).href);
}

async function reportPayload(fixture, origin) {
  const schema = fixture.readBlockSchema();
  const liquidSource = fs.readFileSync(path.join(BLOCK_DIR, 'blocks', 'consent.liquid'), 'utf8');
  console.log('== Payload: extensions/cart-consent ==');
  console.log(`${pad('file', 34)}${lpad('raw', 10)}${lpad('gzip -9', 10)}${lpad('brotli 11', 11)}`);
  const assets = fs.readdirSync(path.join(BLOCK_DIR, 'assets')).sort();
  const result = {assets: {}, ok: true};
  for (const name of assets) {
    const s = sizes(fs.readFileSync(path.join(BLOCK_DIR, 'assets', name)));
    result.assets[name] = s;
    console.log(`${pad('assets/' + name, 34)}${lpad(s.raw, 10)}${lpad(s.gzip, 10)}${lpad(s.brotli, 11)}`);
  }
  const blockHtml = await fixture.renderBlock({
    origin,
    shopName: 'Acme Outdoor',
    shopPrivacyPolicyUrl: '/policies/privacy-policy',
  });
  const h = sizes(blockHtml.trim());
  result.html = h;
  console.log(
    `${pad('rendered block HTML (en)', 34)}${lpad(h.raw, 10)}${lpad(h.gzip, 10)}${lpad(h.brotli, 11)}` +
      '   (privacy policy link, phone field on; alone, so its compression is pessimistic)',
  );

  const js = schema.javascript ? fs.readFileSync(path.join(BLOCK_DIR, 'assets', schema.javascript), 'utf8') : '';
  const css = schema.stylesheet ? fs.readFileSync(path.join(BLOCK_DIR, 'assets', schema.stylesheet), 'utf8') : '';
  const jsSize = js ? result.assets[schema.javascript] : null;
  // theme check (theme-app-extension config): AssetSizeAppBlockJavaScript, 10,000 bytes by default.
  const THEME_CHECK_JS_LIMIT = 10000;

  const loading = liquidScripts(liquidSource, schema);
  console.log('');
  console.log('== How the block loads its script ==');
  if (loading.tags.length === 0 && loading.filters.length === 0) {
    console.log('blocks/consent.liquid has no <script> tag and no script_tag/stylesheet_tag filter of its own.');
  }
  for (const t of loading.tags) {
    const mode = t.defer ? 'defer' : t.async ? 'async' : t.module ? 'module (deferred)' : t.src ? 'PARSER-BLOCKING' : 'inline';
    console.log(`<script> in the .liquid: ${t.tag}  → ${mode}`);
    if (t.src && !t.defer && !t.async && !t.module) result.ok = false;
  }
  for (const f of loading.filters) {
    console.log(`Liquid filter ${f} in the .liquid (script_tag is parser-blocking)`);
    if (f === 'script_tag') result.ok = false;
  }
  if (loading.schemaJavascript) {
    console.log(
      `schema "javascript": "${loading.schemaJavascript}": Shopify adds the <script> itself, once per page however many ` +
        'blocks, as a deferred script (modelled below as <script defer> in <head>).',
    );
  }
  if (loading.schemaStylesheet) {
    console.log(
      `schema "stylesheet": "${loading.schemaStylesheet}": Shopify adds a <link rel="stylesheet"> once per page ` +
        '(render-blocking; modelled below in <head>).',
    );
  }

  console.log('');
  console.log('== Dependencies ==');
  if (js) {
    const scan = scanScript(js);
    if (scan.findings.length) {
      result.ok = false;
      for (const f of scan.findings) console.log(`${schema.javascript}: ${f}`);
    } else {
      console.log(`${schema.javascript}: no import/require/importScripts/worker/injected <script>/eval, no absolute URL.`);
    }
    console.log(`${schema.javascript}: fetch() calls: ${scan.fetches.join(', ') || 'none'} (same-origin Cart AJAX API, only on tick/untick/phone)`);
    console.log(
      `${schema.javascript}: ${fmtBytes(jsSize.raw)} raw, ${fmtBytes(jsSize.gzip)} gzip; theme check's ` +
        `AssetSizeAppBlockJavaScript limit ${fmtBytes(THEME_CHECK_JS_LIMIT)}: ${jsSize.raw <= THEME_CHECK_JS_LIMIT ? 'under' : 'OVER'}`,
    );
    if (jsSize.raw > THEME_CHECK_JS_LIMIT) result.ok = false;
  }
  if (css) {
    const f = scanStylesheet(css);
    console.log(`${schema.stylesheet}: ${f.length ? 'uses ' + f.join(', ') : 'no @import, no url(), no @font-face'}`);
    if (f.length) result.ok = false;
  }
  console.log(`payload checks: ${result.ok ? 'pass' : 'FAIL'}`);
  return result;
}

// ---------------------------------------------------------------------------------------------
// a storefront-like cart page (generated, deterministic)

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf) {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A product-photo-like PNG: light backdrop, a shaded object, fine grain (so it compresses like a photo thumbnail). */
function productPng(width, height, seed) {
  const rand = rng(seed);
  const hue = [rand() * 200 + 30, rand() * 200 + 30, rand() * 200 + 30];
  const cx = width * (0.4 + rand() * 0.2);
  const cy = height * (0.45 + rand() * 0.1);
  const rx = width * (0.22 + rand() * 0.1);
  const ry = height * (0.28 + rand() * 0.1);
  const raw = Buffer.alloc((width * 3 + 1) * height);
  let o = 0;
  for (let y = 0; y < height; y++) {
    raw[o++] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const dx = (x - cx) / rx;
      const dy = (y - cy) / ry;
      const d = dx * dx + dy * dy;
      const grain = 2 * (Math.floor(rand() * 3) - 1); // the same for the three channels: luminance grain
      for (let ch = 0; ch < 3; ch++) {
        let v;
        if (d < 1) v = hue[ch] * (1 - 0.45 * d) + 40 * (1 - dy) * (ch === 2 ? 0.5 : 1);
        else v = 244 - 18 * (y / height) - 6 * Math.max(0, 1.6 - d);
        raw[o++] = Math.max(0, Math.min(255, Math.round(v + grain)));
      }
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlib.deflateSync(raw, {level: 9})),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function svgIcon(rand, points = 18, size = 24, cls = 'icon') {
  let d = `M${(rand() * size).toFixed(2)} ${(rand() * size).toFixed(2)}`;
  for (let i = 0; i < points; i++) {
    d += ` C${(rand() * size).toFixed(2)} ${(rand() * size).toFixed(2)} ${(rand() * size).toFixed(2)} ${(rand() * size).toFixed(2)} ${(rand() * size).toFixed(2)} ${(rand() * size).toFixed(2)}`;
  }
  return `<svg aria-hidden="true" focusable="false" class="${cls}" viewBox="0 0 ${size} ${size}" width="${size}" height="${size}"><path fill="currentColor" fill-rule="evenodd" d="${d}Z"/></svg>`;
}

/** base.css-like: a theme's worth of component and utility rules (Dawn's base.css is ~80 KB raw). */
function themeCss(rand, kb) {
  const props = [
    ['display', ['block', 'flex', 'grid', 'inline-flex', 'none']],
    ['margin', ['0', '0 auto', '1rem 0', '0 0 1.5rem', '2rem 0 0']],
    ['padding', ['0', '0.5rem 1rem', '1.5rem', '0 1.5rem', '2rem 5rem']],
    ['color', ['rgb(var(--color-foreground))', 'rgba(var(--color-foreground),.75)', 'rgb(var(--color-link))']],
    ['font-size', ['1.2rem', '1.4rem', '1.6rem', 'calc(var(--font-heading-scale)*2.4rem)']],
    ['line-height', ['1', 'calc(1 + .3/var(--font-body-scale))', '1.5']],
    ['letter-spacing', ['.06rem', '.1rem', '.04rem']],
    ['border', ['0', '.1rem solid rgba(var(--color-foreground),.08)', 'var(--inputs-border-width) solid transparent']],
    ['transition', ['opacity var(--duration-short) ease', 'transform var(--duration-default) ease', 'none']],
    ['grid-template-columns', ['repeat(2,1fr)', 'repeat(4,minmax(0,1fr))', '55% auto']],
    ['gap', ['1rem', 'var(--grid-mobile-horizontal-spacing)', '2rem 4rem']],
    ['position', ['relative', 'absolute', 'sticky']],
    ['z-index', ['1', '2', '101']],
    ['box-shadow', ['var(--shadow-horizontal-offset) var(--shadow-vertical-offset) var(--shadow-blur-radius) rgba(var(--color-shadow),var(--shadow-opacity))', 'none']],
  ];
  const blocks = ['cart', 'cart-item', 'header', 'menu-drawer', 'card', 'price', 'quantity', 'button', 'field', 'footer', 'banner', 'totals', 'badge', 'list-social', 'localization', 'predictive-search', 'newsletter', 'grid', 'media', 'rte'];
  const els = ['', '__inner', '__wrapper', '__heading', '__content', '__media', '__link', '__details', '__footer', '__item', '__icon', '__text'];
  const mods = ['', '--small', '--large', '--secondary', '--tertiary', '--full-width', '--empty', '--active'];
  let css =
    ':root{--font-body-scale:1;--font-heading-scale:1;--color-foreground:18,18,18;--color-background:255,255,255;--color-link:18,18,18;--color-shadow:18,18,18;' +
    '--duration-short:.1s;--duration-default:.2s;--inputs-border-width:1px;--grid-mobile-horizontal-spacing:.8rem;--shadow-horizontal-offset:0;' +
    '--shadow-vertical-offset:4px;--shadow-blur-radius:5px;--shadow-opacity:0;--page-width:120rem}\n' +
    '*,*:before,*:after{box-sizing:inherit}html{box-sizing:border-box;font-size:62.5%;height:100%}' +
    'body{display:grid;grid-template-rows:auto auto 1fr auto;grid-template-columns:100%;min-height:100%;margin:0;font-size:1.5rem;' +
    'letter-spacing:.06rem;line-height:calc(1 + .8/var(--font-body-scale));font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;' +
    'color:rgb(var(--color-foreground));background:rgb(var(--color-background))}\n' +
    '.page-width{max-width:var(--page-width);margin:0 auto;padding:0 1.5rem}img{max-width:100%;height:auto}' +
    '.visually-hidden{position:absolute!important;overflow:hidden;width:1px;height:1px;margin:-1px;padding:0;border:0;clip:rect(0 0 0 0)}\n' +
    '.button{display:inline-flex;justify-content:center;align-items:center;min-height:4.5rem;min-width:12rem;padding:0 3rem;border:0;' +
    'font:inherit;font-size:1.5rem;text-decoration:none;color:rgb(var(--color-background));background:rgb(var(--color-foreground));cursor:pointer}\n' +
    '.cart-items{width:100%;border-collapse:collapse}.cart-item__image{width:10rem;height:auto}.cart-item td{padding-top:2rem;vertical-align:top}' +
    '.cart__footer{padding:4rem 0 0}.totals{display:flex;justify-content:space-between;align-items:baseline}' +
    '.product-grid{display:grid;grid-template-columns:repeat(2,1fr);gap:1rem;list-style:none;padding:0}' +
    '.header{display:grid;grid-template-columns:1fr 2fr 1fr;align-items:center;padding:1rem 1.5rem}.header__heading-logo{width:12rem;height:auto}' +
    '.menu-drawer{display:none}.icon{width:2rem;height:2rem}.footer{margin-top:5rem;padding:3rem 1.5rem;border-top:.1rem solid rgba(var(--color-foreground),.08)}\n';
  let media = false;
  while (css.length < kb * 1024) {
    const sel = `.${blocks[Math.floor(rand() * blocks.length)]}${els[Math.floor(rand() * els.length)]}${mods[Math.floor(rand() * mods.length)]}`;
    const n = 2 + Math.floor(rand() * 5);
    const decls = [];
    for (let i = 0; i < n; i++) {
      const [p, vs] = props[Math.floor(rand() * props.length)];
      decls.push(`${p}:${vs[Math.floor(rand() * vs.length)]}`);
    }
    const extra = rand() < 0.3 ? `,${sel}:hover` : rand() < 0.2 ? ` > *+*` : '';
    if (rand() < 0.04) {
      css += media ? '}\n' : '@media screen and (min-width:750px){';
      media = !media;
    }
    css += `${sel}${extra}{${decls.join(';')}}\n`;
  }
  if (media) css += '}\n';
  return css;
}

/** global.js-like: custom elements and helpers, some work at start-up (Dawn's global.js is ~40 KB raw). */
function themeJs(rand, kb) {
  let js = `'use strict';
function debounce(fn, wait) { let t; return (...args) => { clearTimeout(t); t = setTimeout(() => fn.apply(this, args), wait); }; }
function fetchConfig(type = 'json') { return { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/' + type } }; }
const PUB_SUB_EVENTS = { cartUpdate: 'cart-update', quantityUpdate: 'quantity-update', variantChange: 'variant-change' };
const subscribers = {};
function subscribe(name, cb) { (subscribers[name] = subscribers[name] || []).push(cb); return () => { subscribers[name] = subscribers[name].filter((x) => x !== cb); }; }
function publish(name, data) { (subscribers[name] || []).forEach((cb) => cb(data)); }
class QuantityInput extends HTMLElement {
  constructor() { super(); this.input = this.querySelector('input'); this.changeEvent = new Event('change', { bubbles: true });
    this.querySelectorAll('button').forEach((b) => b.addEventListener('click', this.onButtonClick.bind(this))); }
  onButtonClick(event) { event.preventDefault(); const prev = this.input.value;
    event.currentTarget.name === 'plus' ? this.input.stepUp() : this.input.stepDown(); if (prev !== this.input.value) this.input.dispatchEvent(this.changeEvent); }
}
customElements.define('quantity-input', QuantityInput);
class CartItems extends HTMLElement {
  constructor() { super(); this.lineItemStatusElement = document.getElementById('shopping-cart-line-item-status');
    this.addEventListener('change', debounce((e) => this.onChange(e), 300)); }
  connectedCallback() { this.unsub = subscribe(PUB_SUB_EVENTS.cartUpdate, () => {}); this.layout(); }
  disconnectedCallback() { if (this.unsub) this.unsub(); }
  layout() { const rows = this.querySelectorAll('.cart-item'); let h = 0; rows.forEach((r) => { h += r.getBoundingClientRect().height; }); this.dataset.height = String(h); }
  onChange(event) { publish(PUB_SUB_EVENTS.quantityUpdate, { line: event.target.dataset.index, quantity: event.target.value }); }
}
customElements.define('cart-items', CartItems);
class MenuDrawer extends HTMLElement {
  constructor() { super(); this.mainDetailsToggle = this.querySelector('details');
    this.querySelectorAll('summary').forEach((s) => s.addEventListener('click', (e) => { e.currentTarget.parentNode.toggleAttribute('data-open'); })); }
}
customElements.define('menu-drawer', MenuDrawer);
`;
  let i = 0;
  while (js.length < kb * 1024) {
    const a = Math.floor(rand() * 1000);
    js += `function themeHelper${i}(input, options = {}) {
  const settings = Object.assign({ threshold: ${a}, step: ${1 + (a % 7)}, label: 'helper-${i}' }, options);
  const out = [];
  for (let k = 0; k < (input && input.length) || 0; k += settings.step) {
    const v = input[k];
    if (typeof v === 'number' && v > settings.threshold) out.push(v * ${(rand() * 3).toFixed(3)});
    else if (typeof v === 'string') out.push(v.trim().toLowerCase().replace(/[^a-z0-9]+/g, '-'));
  }
  return { id: settings.label, values: out, size: out.length };
}
`;
    i++;
  }
  // Start-up work, as themes do (money formatting, reading data, building state).
  js += `(function init() {
  const lines = [];
  for (let n = 0; n < 20000; n++) lines.push(themeHelper${i - 1}([n, 'Item ' + n, n * 3.7, ' SKU-' + n + ' '], { threshold: n % 50 }));
  document.documentElement.dataset.themeReady = String(lines.length);
  document.querySelectorAll('.price[data-amount]').forEach((el) => { el.textContent = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(Number(el.dataset.amount) / 100); });
})();
`;
  return js;
}

const PRODUCTS = [
  ['The Ridge Waterproof Jacket', 'Colour: Slate / Size: M', 18900],
  ['Merino Crew Socks, 3-pack', 'Size: 39–42', 2400],
  ['Trail Runner 2', 'Colour: Ember / Size: 42', 13500],
  ['Canvas Roll-top Pack 22 L', 'Colour: Olive', 9800],
  ['Down Vest', 'Colour: Ink', 14500],
  ['Packable Rain Shell', 'Colour: Fern', 11000],
  ['Wool Beanie', 'Colour: Rust', 3200],
];

function storefrontPage({blockHtml, withBlock, cdn, rand}) {
  const nav = [];
  for (let c = 0; c < 5; c++) {
    const links = [];
    for (let l = 0; l < 9; l++) links.push(`<li><a href="/collections/c${c}-l${l}" class="menu-drawer__menu-item link link--text list-menu__item focus-inset">Category ${c + 1} item ${l + 1}</a></li>`);
    nav.push(`<li><details id="Details-menu-drawer-menu-item-${c}"><summary class="menu-drawer__menu-item list-menu__item link link--text focus-inset">Department ${c + 1}${svgIcon(rand, 4, 10, 'icon icon-caret')}</summary><div class="menu-drawer__submenu has-submenu gradient motion-reduce" tabindex="-1"><ul class="menu-drawer__menu list-menu" role="list">${links.join('')}</ul></div></details></li>`);
  }
  const items = PRODUCTS.slice(0, 3).map(
    ([title, variant, cents], idx) => `<tr class="cart-item" id="CartItem-${idx + 1}">
<td class="cart-item__media"><a href="/products/p${idx}" class="cart-item__link" aria-hidden="true" tabindex="-1"></a><div class="cart-item__image-container gradient global-media-settings"><img src="/cdn/shop/files/product-${idx}.png" class="cart-item__image" alt="${title}" loading="${idx === 0 ? 'eager' : 'lazy'}" width="150" height="150"></div></td>
<td class="cart-item__details"><a href="/products/p${idx}" class="cart-item__name h4 break">${title}</a><div class="product-option price" data-amount="${cents}">$${(cents / 100).toFixed(2)}</div><dl><div class="product-option"><dt>${variant.split(':')[0]}:</dt><dd>${variant.split(':').slice(1).join(':').trim()}</dd></div></dl><p class="product-option">Ships in 1–2 business days</p></td>
<td class="cart-item__quantity"><div class="cart-item__quantity-wrapper quantity-popover-wrapper"><label class="visually-hidden" for="Quantity-${idx + 1}">Quantity</label><quantity-input class="quantity cart-quantity"><button class="quantity__button" name="minus" type="button"><span class="visually-hidden">Decrease quantity for ${title}</span>${svgIcon(rand, 3, 10, 'icon icon-minus')}</button><input class="quantity__input" type="number" data-quantity-variant-id="4${idx}1" name="updates[]" value="1" data-cart-quantity="1" min="0" data-min="1" step="1" aria-label="Quantity for ${title}" id="Quantity-${idx + 1}" data-index="${idx + 1}"><button class="quantity__button" name="plus" type="button"><span class="visually-hidden">Increase quantity for ${title}</span>${svgIcon(rand, 3, 10, 'icon icon-plus')}</button></quantity-input><cart-remove-button id="Remove-${idx + 1}" data-index="${idx + 1}"><a href="/cart/change?line=${idx + 1}&amp;quantity=0" class="button button--tertiary" aria-label="Remove ${title}">${svgIcon(rand, 14, 16, 'icon icon-remove')}</a></cart-remove-button></div></td>
<td class="cart-item__totals right"><div class="cart-item__price-wrapper"><span class="price price--end" data-amount="${cents}">$${(cents / 100).toFixed(2)}</span></div></td>
</tr>`,
  );
  const recs = PRODUCTS.slice(3).map(
    ([title, , cents], idx) => `<li class="grid__item"><div class="card-wrapper product-card-wrapper underline-links-hover"><div class="card card--standard card--media"><div class="card__inner ratio" style="--ratio-percent:100%"><div class="card__media"><div class="media media--transparent media--hover-effect"><img src="/cdn/shop/files/rec-${idx}.png" alt="${title}" class="motion-reduce" loading="lazy" width="360" height="360"></div></div></div><div class="card__content"><div class="card__information"><h3 class="card__heading h5"><a href="/products/r${idx}" class="full-unstyled-link">${title}</a></h3><div class="card-information"><div class="price"><span class="price-item price-item--regular" data-amount="${cents}">$${(cents / 100).toFixed(2)} USD</span></div></div></div></div></div></div></li>`,
  );
  const payments = [];
  for (let p = 0; p < 10; p++) payments.push(`<li class="list-payment__item">${svgIcon(rand, 60, 38, 'icon icon--full-color')}</li>`);
  const footerMenus = [];
  for (let f = 0; f < 4; f++) {
    const links = [];
    for (let l = 0; l < 7; l++) links.push(`<li><a href="/pages/f${f}-${l}" class="link link--text list-menu__item list-menu__item--link">Footer link ${f + 1}.${l + 1}</a></li>`);
    footerMenus.push(`<div class="footer-block grid__item footer-block--menu"><h2 class="footer-block__heading inline-richtext">Menu ${f + 1}</h2><ul class="footer-block__details-content list-unstyled">${links.join('')}</ul></div>`);
  }
  const subtotal = PRODUCTS.slice(0, 3).reduce((s, p) => s + p[2], 0);
  const analytics = {
    shopId: 60123456789,
    currency: 'USD',
    pageType: 'cart',
    products: PRODUCTS.map(([t, v, c], i) => ({id: 7000 + i, title: t, variant: v, price: c, vendor: 'Acme Outdoor', type: 'Apparel', tags: ['outdoor', 'sale', 'new'], handle: `p${i}`})),
    meta: {page: {pageType: 'cart'}, evids: {pv: 'Page View'}},
  };
  // Shopify adds app block assets itself: the stylesheet as a <link> and the script deferred, in <head>.
  const blockHead = withBlock
    ? `<link href="${cdn}/extensions/ringback/assets/ringback-consent.css" rel="stylesheet" type="text/css" media="all">\n<script src="${cdn}/extensions/ringback/assets/ringback-consent.js" defer="defer"></script>\n`
    : '';
  const appBlock = withBlock
    ? `<div id="shopify-block-AbC123" class="shopify-block shopify-app-block">${blockHtml}</div>`
    : '';
  return `<!doctype html>
<html class="js" lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="theme-color" content="">
<link rel="canonical" href="/cart">
<link rel="preconnect" href="${cdn}" crossorigin>
<title>Your Shopping Cart – Acme Outdoor</title>
<meta name="description" content="Outdoor clothing and gear, made to last.">
<script src="/cdn/shop/t/12/assets/constants.js" defer="defer"></script>
<script src="/cdn/shop/t/12/assets/pubsub.js" defer="defer"></script>
<script src="/cdn/shop/t/12/assets/global.js" defer="defer"></script>
<script>window.Shopify = window.Shopify || {}; Shopify.shop = "acme-outdoor.myshopify.com"; Shopify.locale = "en"; Shopify.currency = {"active":"USD","rate":"1.0"}; Shopify.country = "US"; Shopify.theme = {"name":"Dawn","id":141234567890,"schema_name":"Dawn","schema_version":"15.2.0","role":"main"}; Shopify.routes = Shopify.routes || {}; Shopify.routes.root = "/";</script>
<script id="shopify-features" type="application/json">{"accessToken":"0123456789abcdef0123456789abcdef","betas":["rickshaw"],"domain":"acme-outdoor.example","predictiveSearch":true,"shopId":60123456789,"locale":"en"}</script>
<script>var ShopifyAnalytics = window.ShopifyAnalytics || {}; ShopifyAnalytics.meta = ${JSON.stringify(analytics)}; ShopifyAnalytics.lib = ShopifyAnalytics.lib || {};</script>
<script src="${cdn}/shopifycloud/storefront/assets/storefront/load_feature.js" defer="defer"></script>
<script src="${cdn}/shopifycloud/perf-kit/shopify-perf-kit.min.js" defer="defer"></script>
${blockHead}<link href="/cdn/shop/t/12/assets/base.css" rel="stylesheet" type="text/css" media="all">
<link href="/cdn/shop/t/12/assets/component-cart.css" rel="stylesheet" type="text/css" media="all">
<link href="/cdn/shop/t/12/assets/component-cart-items.css" rel="stylesheet" type="text/css" media="all">
<script src="/cdn/shop/t/12/assets/cart.js" defer="defer"></script>
</head>
<body class="gradient">
<a class="skip-to-content-link button visually-hidden" href="#MainContent">Skip to content</a>
<div class="announcement-bar" role="region" aria-label="Announcement"><p class="announcement-bar__message h5">Free shipping on orders over $100</p></div>
<header class="header header--middle-left page-width header--has-menu">
<menu-drawer class="menu-drawer-container"><details id="Details-menu-drawer-container" class="menu-drawer-container"><summary class="header__icon header__icon--menu header__icon--summary link focus-inset" aria-label="Menu">${svgIcon(rand, 6, 18, 'icon icon-hamburger')}</summary><div id="menu-drawer" class="gradient menu-drawer motion-reduce" tabindex="-1"><nav class="menu-drawer__navigation"><ul class="menu-drawer__menu has-submenu list-menu" role="list">${nav.join('')}</ul></nav></div></details></menu-drawer>
<a href="/" class="header__heading-link link link--text focus-inset">${svgIcon(rand, 40, 120, 'header__heading-logo')}<span class="visually-hidden">Acme Outdoor</span></a>
<div class="header__icons"><a href="/search" class="header__icon link focus-inset">${svgIcon(rand, 10)}<span class="visually-hidden">Search</span></a><a href="/account/login" class="header__icon header__icon--account link focus-inset">${svgIcon(rand, 10)}<span class="visually-hidden">Log in</span></a><a href="/cart" class="header__icon header__icon--cart link focus-inset" id="cart-icon-bubble">${svgIcon(rand, 10)}<span class="visually-hidden">Cart</span><div class="cart-count-bubble"><span aria-hidden="true">3</span><span class="visually-hidden">3 items</span></div></a></div>
</header>
<main id="MainContent" class="content-for-layout focus-none" role="main" tabindex="-1">
<section class="shopify-section section"><cart-items class="gradient color-scheme-1 isolate section-template--main-cart-items-padding">
<div class="page-width"><div class="title-wrapper-with-link"><h1 class="title title--primary">Your cart</h1><a href="/collections/all" class="underlined-link">Continue shopping</a></div>
<form action="/cart" class="cart__contents critical-hidden" method="post" id="cart"><div class="cart__items" id="main-cart-items"><div class="js-contents">
<table class="cart-items"><caption class="visually-hidden">Your cart</caption><thead><tr><th class="caption-with-letter-spacing" colspan="2" scope="col">Product</th><th class="medium-hide large-up-hide right caption-with-letter-spacing" colspan="1">Total</th><th class="cart-items__heading--wide small-hide caption-with-letter-spacing" colspan="1">Quantity</th></tr></thead>
<tbody>${items.join('\n')}</tbody></table></div></div>
<p class="visually-hidden" id="cart-live-region-text" aria-live="polite" role="status"></p><p class="visually-hidden" id="shopping-cart-line-item-status" aria-live="polite" aria-hidden="true" role="status">Loading...</p></form></div></cart-items></section>
<section class="shopify-section cart__footer-wrapper"><div class="page-width" id="main-cart-footer"><div class="cart__footer isolate section-template--main-cart-footer-padding">
<div class="cart__note field"><label for="Cart-note">Order special instructions</label><textarea class="text-area field__input" name="note" form="cart" id="Cart-note" placeholder="Order special instructions"></textarea></div>
<div class="cart__blocks"><div class="js-contents"><div class="totals"><h2 class="totals__total">Estimated total</h2><p class="totals__total-value price" data-amount="${subtotal}">$${(subtotal / 100).toFixed(2)} USD</p></div>
<small class="tax-note caption-large rte">Taxes, discounts and <a href="/policies/shipping-policy">shipping</a> calculated at checkout.</small></div>
${appBlock}
<div class="cart__ctas"><button type="submit" id="checkout" class="cart__checkout-button button" name="checkout" form="cart">Check out</button></div>
<div class="cart__dynamic-checkout-buttons additional-checkout-buttons"><div class="dynamic-checkout__content" id="dynamic-checkout-cart" data-shopify="dynamic-checkout-cart"></div></div></div>
</div></div></section>
<section class="shopify-section section"><div class="page-width"><h2 class="h2">You may also like</h2><ul class="grid product-grid grid--2-col-tablet-down grid--4-col-desktop" role="list">${recs.join('')}</ul></div></section>
</main>
<footer class="footer color-scheme-1 gradient section-sections--footer-padding"><div class="footer__content-top page-width"><div class="footer__blocks-wrapper grid grid--1-col grid--2-col grid--4-col-tablet">${footerMenus.join('')}</div>
<div class="footer-block--newsletter"><h2 class="footer-block__heading">Subscribe to our emails</h2><form method="post" action="/contact#ContactFooter" id="ContactFooter" class="footer__newsletter newsletter-form"><input type="hidden" name="contact[tags]" value="newsletter"><div class="newsletter-form__field-wrapper"><div class="field"><input id="NewsletterForm--footer" type="email" name="contact[email]" class="field__input" value="" aria-required="true" autocorrect="off" autocapitalize="off" autocomplete="email" placeholder="Email" required><label class="field__label" for="NewsletterForm--footer">Email</label><button type="submit" class="newsletter-form__button field__button" name="commit" aria-label="Subscribe">${svgIcon(rand, 8, 14, 'icon icon-arrow')}</button></div></div></form></div></div>
<div class="footer__content-bottom"><div class="footer__payment"><span class="visually-hidden">Payment methods</span><ul class="list list-payment" role="list">${payments.join('')}</ul></div>
<div class="footer__copyright caption"><small class="copyright__content">© 2026, Acme Outdoor</small><small class="copyright__content"><a href="/powered" rel="nofollow">Powered by Shopify</a></small></div></div></footer>
</body>
</html>
`;
}

function buildSite(dir, blockHtml) {
  const rand = rng(11);
  const files = new Map(); // url path → {body, type}
  const add = (p, body, type) => files.set(p, {body: Buffer.isBuffer(body) ? body : Buffer.from(body), type});
  add('/cdn/shop/t/12/assets/base.css', themeCss(rand, 78), 'text/css');
  add('/cdn/shop/t/12/assets/component-cart.css', themeCss(rng(12), 6), 'text/css');
  add('/cdn/shop/t/12/assets/component-cart-items.css', themeCss(rng(13), 8), 'text/css');
  add('/cdn/shop/t/12/assets/global.js', themeJs(rng(14), 42), 'text/javascript');
  add('/cdn/shop/t/12/assets/constants.js', "const ON_CHANGE_DEBOUNCE_TIMER = 300;\nconst PUB_SUB_EVENTS_NAMES = ['cart-update','quantity-update','variant-change','cart-error'];\n", 'text/javascript');
  add('/cdn/shop/t/12/assets/pubsub.js', themeJs(rng(15), 2).replace(/customElements\.define\([^)]*\);/g, ''), 'text/javascript');
  add('/cdn/shop/t/12/assets/cart.js', themeJs(rng(16), 12).replace(/customElements\.define\([^)]*\);/g, '').replace(/n < 20000/, 'n < 800'), 'text/javascript');
  for (let i = 0; i < 3; i++) add(`/cdn/shop/files/product-${i}.png`, productPng(300, 300, 100 + i), 'image/png');
  for (let i = 0; i < 4; i++) add(`/cdn/shop/files/rec-${i}.png`, productPng(360, 360, 200 + i), 'image/png');
  const cdnFiles = new Map();
  const addCdn = (p, body, type) => cdnFiles.set(p, {body: Buffer.isBuffer(body) ? body : Buffer.from(body), type});
  // Stand-ins for what Shopify itself loads on every storefront page from its CDN (in both variants).
  addCdn('/shopifycloud/storefront/assets/storefront/load_feature.js', themeJs(rng(17), 6).replace(/customElements\.define\([^)]*\);/g, '').replace(/n < 20000/, 'n < 300'), 'text/javascript');
  addCdn('/shopifycloud/perf-kit/shopify-perf-kit.min.js', themeJs(rng(18), 9).replace(/customElements\.define\([^)]*\);/g, '').replace(/n < 20000/, 'n < 300'), 'text/javascript');
  for (const name of fs.readdirSync(path.join(BLOCK_DIR, 'assets'))) {
    addCdn(`/extensions/ringback/assets/${name}`, fs.readFileSync(path.join(BLOCK_DIR, 'assets', name)), name.endsWith('.css') ? 'text/css' : 'text/javascript');
  }
  fs.mkdirSync(dir, {recursive: true});
  for (const [p, f] of [...files, ...[...cdnFiles].map(([p, f]) => ['/_cdn' + p, f])]) {
    const out = path.join(dir, p);
    fs.mkdirSync(path.dirname(out), {recursive: true});
    fs.writeFileSync(out, f.body);
  }
  return {files, cdnFiles, blockHtml};
}

/** Static server with precompressed bodies (brotli or gzip, as Shopify's CDN answers). */
function serve(files, log) {
  const compressed = new Map();
  const encode = (p, f, enc) => {
    const key = `${enc}:${p}`;
    if (!compressed.has(key)) {
      const compressible = !f.type.startsWith('image/');
      let body = f.body;
      if (compressible && enc === 'br') body = zlib.brotliCompressSync(f.body, {params: {[zlib.constants.BROTLI_PARAM_QUALITY]: 11}});
      else if (compressible && enc === 'gzip') body = zlib.gzipSync(f.body, {level: 9});
      else enc = null;
      compressed.set(key, {body, enc});
    }
    return compressed.get(key);
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    log.push(`${req.method} ${server.origin}${url.pathname}`);
    if (req.method === 'POST' && url.pathname.endsWith('/cart/update.js')) {
      req.resume();
      req.on('end', () => res.writeHead(200, {'Content-Type': 'application/json'}).end('{"attributes":{}}'));
      return;
    }
    const f = files.get(url.pathname);
    if (!f || req.method !== 'GET') {
      res.writeHead(404, {'Content-Type': 'text/plain'}).end('not found');
      return;
    }
    const accept = String(req.headers['accept-encoding'] || '');
    const want = /\bbr\b/.test(accept) ? 'br' : /\bgzip\b/.test(accept) ? 'gzip' : null;
    const {body, enc} = want ? encode(url.pathname, f, want) : {body: f.body, enc: null};
    const headers = {
      'Content-Type': f.type.startsWith('text/') ? `${f.type}; charset=utf-8` : f.type,
      'Content-Length': body.length,
      'Cache-Control': f.type === 'text/html' ? 'no-cache' : 'public, max-age=31536000',
      'Access-Control-Allow-Origin': '*',
      Vary: 'Accept-Encoding',
    };
    if (enc) headers['Content-Encoding'] = enc;
    res.writeHead(200, headers).end(body);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      server.origin = `http://127.0.0.1:${server.address().port}`;
      resolve(server);
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Lighthouse

function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

function uptime() {
  try {
    return execFileSync('uptime', {encoding: 'utf8'}).trim();
  } catch {
    return `load average: ${os.loadavg().map((x) => x.toFixed(2)).join(', ')}`;
  }
}

async function loadLighthouse() {
  let lighthousePath;
  let launcherPath;
  try {
    lighthousePath = requireExt.resolve('lighthouse');
    launcherPath = requireExt.resolve('chrome-launcher');
  } catch (err) {
    throw new Error(`lighthouse is not installed in extensions/node_modules (cd extensions && npm ci): ${err.message}`);
  }
  const {default: lighthouse} = await import(pathToFileURL(lighthousePath).href);
  const chromeLauncher = await import(pathToFileURL(launcherPath).href);
  const version = JSON.parse(fs.readFileSync(path.join(path.dirname(lighthousePath), '..', 'package.json'), 'utf8')).version;
  return {lighthouse, chromeLauncher, version};
}

async function lighthouseRun({lighthouse, chromeLauncher}, url, chromePath) {
  const chrome = await chromeLauncher.launch({
    chromePath,
    chromeFlags: ['--headless=new', '--no-sandbox'],
    logLevel: 'silent',
  });
  try {
    const result = await lighthouse(url, {
      port: chrome.port,
      output: 'json',
      logLevel: 'error',
      onlyCategories: ['performance'],
    });
    const lhr = result.lhr;
    if (lhr.runtimeError) throw new Error(`Lighthouse runtime error: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
    const audit = (id) => lhr.audits[id]?.numericValue;
    const requests = (lhr.audits['network-requests']?.details?.items ?? []).map((r) => r.url);
    return {
      score: lhr.categories.performance.score == null ? NaN : Math.round(lhr.categories.performance.score * 100),
      fcp: audit('first-contentful-paint'),
      lcp: audit('largest-contentful-paint'),
      tbt: audit('total-blocking-time'),
      cls: audit('cumulative-layout-shift'),
      si: audit('speed-index'),
      bytes: audit('total-byte-weight'),
      requests,
      warnings: lhr.runWarnings ?? [],
      throttling: lhr.configSettings.throttlingMethod,
      formFactor: lhr.configSettings.formFactor,
    };
  } finally {
    await chrome.kill();
  }
}

/**
 * Which element is the LCP candidate in each variant (Lighthouse 12.2's TraceElements gatherer fails
 * on Chromium 15x, so its largest-contentful-paint-element audit is empty): the page in playwright-core
 * at Lighthouse's mobile viewport, read with a PerformanceObserver.
 */
async function lcpElements(urls, chromePath) {
  let chromium;
  try {
    const pw = await import(pathToFileURL(requireExt.resolve('playwright-core')).href);
    chromium = pw.chromium ?? pw.default.chromium;
  } catch {
    return null;
  }
  const browser = await chromium.launch({executablePath: chromePath, headless: true, args: ['--no-sandbox', '--disable-gpu']});
  try {
    const out = {};
    for (const [variant, url] of Object.entries(urls)) {
      const context = await browser.newContext({viewport: {width: 412, height: 823}, deviceScaleFactor: 1.75, isMobile: true});
      const page = await context.newPage();
      await page.addInitScript(() => {
        window.__lcp = [];
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) {
            const el = e.element;
            const label = el
              ? `${el.tagName.toLowerCase()}${el.className ? '.' + String(el.className).trim().split(/\s+/).join('.') : ''}`
              : '(removed)';
            window.__lcp.push({label, size: e.size, text: el ? (el.textContent || el.getAttribute('alt') || '').trim().slice(0, 40) : ''});
          }
        }).observe({type: 'largest-contentful-paint', buffered: true});
      });
      await page.goto(url, {waitUntil: 'load'});
      await page.waitForTimeout(300);
      const entries = await page.evaluate(() => window.__lcp);
      out[variant] = entries.at(-1) ?? null;
      await context.close();
    }
    return out;
  } finally {
    await browser.close();
  }
}

const ms = (x) => (Number.isFinite(x) ? `${Math.round(x)} ms` : 'n/a');

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  console.log(`cart block bench — ${new Date().toISOString()}`);
  console.log(uptime());
  console.log('');

  const fixture = await loadFixture();
  const log = [];
  const cdnLog = [];
  // The CDN origin first: the page refers to it.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ringback-cart-bench-'));
  let shopServer;
  let cdnServer;
  try {
    // Both servers serve from Maps filled below (the pages need the CDN origin first).
    const shopFiles = new Map();
    const cdnFiles = new Map();
    cdnServer = await serve(cdnFiles, cdnLog);
    shopServer = await serve(shopFiles, log);
    const payload = await reportPayload(fixture, shopServer.origin);
    if (args.sizeOnly) {
      process.exitCode = payload.ok ? 0 : 1;
      return;
    }

    const blockHtml = await fixture.renderBlock({
      origin: shopServer.origin,
      shopName: 'Acme Outdoor',
      shopPrivacyPolicyUrl: '/policies/privacy-policy',
    });
    const site = buildSite(tmp, blockHtml);
    for (const [k, v] of site.files) shopFiles.set(k, v);
    for (const [k, v] of site.cdnFiles) cdnFiles.set(k, v);
    const pages = {
      A: storefrontPage({blockHtml, withBlock: false, cdn: cdnServer.origin, rand: rng(42)}),
      B: storefrontPage({blockHtml, withBlock: true, cdn: cdnServer.origin, rand: rng(42)}),
    };
    shopFiles.set('/without/cart', {body: Buffer.from(pages.A), type: 'text/html'});
    shopFiles.set('/with/cart', {body: Buffer.from(pages.B), type: 'text/html'});
    fs.writeFileSync(path.join(tmp, 'without-cart.html'), pages.A);
    fs.writeFileSync(path.join(tmp, 'with-cart.html'), pages.B);

    const weight = (variant) => {
      const html = Buffer.from(pages[variant]);
      let raw = html.length;
      let br = brotli(html);
      const refs = [...pages[variant].matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
      for (const ref of new Set(refs)) {
        const local = shopFiles.get(ref);
        const remote = ref.startsWith(cdnServer.origin) ? site.cdnFiles.get(ref.slice(cdnServer.origin.length)) : null;
        const f = local || remote;
        if (!f) continue;
        raw += f.body.length;
        br += f.type.startsWith('image/') ? f.body.length : brotli(f.body);
      }
      return {raw, br, html: html.length, htmlBr: brotli(html)};
    };
    const wA = weight('A');
    const wB = weight('B');
    console.log('');
    console.log('== The test storefront (generated, Dawn-like cart page) ==');
    console.log(`files in ${tmp}; shop ${shopServer.origin}, "CDN" ${cdnServer.origin} (loopback only)`);
    console.log(
      `A without block: HTML ${fmtBytes(wA.html)} (${fmtBytes(wA.htmlBr)} br); page total ${fmtBytes(wA.raw)} raw, ${fmtBytes(wA.br)} transferred (brotli, images as is)`,
    );
    console.log(
      `B with block:    HTML ${fmtBytes(wB.html)} (${fmtBytes(wB.htmlBr)} br); page total ${fmtBytes(wB.raw)} raw, ${fmtBytes(wB.br)} transferred`,
    );
    console.log(
      `the block adds ${fmtBytes(wB.raw - wA.raw)} raw, ${fmtBytes(wB.br - wA.br)} compressed, 2 requests (its .css in <head>, its .js deferred)`,
    );

    let lh;
    try {
      lh = await loadLighthouse();
    } catch (err) {
      console.error(`\nLighthouse unavailable: ${err.message}`);
      process.exitCode = 1;
      return;
    }
    if (!fs.existsSync(args.chrome)) {
      console.error(`\nChromium not found at ${args.chrome} (apt-get install -y chromium, or --chrome PATH)`);
      process.exitCode = 1;
      return;
    }
    console.log('');
    console.log(
      `== Lighthouse ${lh.version}: performance, default config (mobile, simulated throttling), ${args.chrome}, ` +
        `${args.runs} runs each, interleaved A B ==`,
    );
    const results = {A: [], B: []};
    const allowed = [shopServer.origin, cdnServer.origin];
    let outside = [];
    for (let i = 0; i < args.runs; i++) {
      for (const variant of ['A', 'B']) {
        const url = `${shopServer.origin}/${variant === 'A' ? 'without' : 'with'}/cart`;
        const r = await lighthouseRun(lh, url, args.chrome);
        results[variant].push(r);
        outside = outside.concat(r.requests.filter((u) => !allowed.some((o) => u.startsWith(o + '/'))));
        const blockReqs = r.requests.filter((u) => u.includes('/extensions/ringback/')).length;
        console.log(
          `run ${i + 1} ${variant} ${variant === 'A' ? 'without' : 'with   '}: score ${lpad(r.score, 3)}  FCP ${lpad(ms(r.fcp), 7)}  ` +
            `LCP ${lpad(ms(r.lcp), 7)}  TBT ${lpad(ms(r.tbt), 6)}  CLS ${r.cls?.toFixed(3)}  SI ${lpad(ms(r.si), 7)}  ` +
            `${r.requests.length} requests (${blockReqs} block), ${fmtBytes(r.bytes)}  [${r.formFactor}, ${r.throttling}]  | ${uptime()}`,
        );
        for (const w of r.warnings) console.log(`   warning: ${w}`);
      }
    }
    const med = (v, key) => median(results[v].map((r) => r[key]));
    const diffs = results.A.map((a, i) => results.B[i].score - a.score);
    console.log('');
    console.log('== Medians ==');
    console.log(`${pad('', 18)}${lpad('score', 7)}${lpad('FCP', 9)}${lpad('LCP', 9)}${lpad('TBT', 8)}${lpad('CLS', 7)}${lpad('SI', 9)}`);
    for (const v of ['A', 'B']) {
      console.log(
        `${pad(v === 'A' ? 'A without block' : 'B with block', 18)}${lpad(med(v, 'score'), 7)}${lpad(ms(med(v, 'fcp')), 9)}` +
          `${lpad(ms(med(v, 'lcp')), 9)}${lpad(ms(med(v, 'tbt')), 8)}${lpad(med(v, 'cls').toFixed(3), 7)}${lpad(ms(med(v, 'si')), 9)}`,
      );
    }
    const delta = med('B', 'score') - med('A', 'score');
    console.log(
      `difference (B − A) of the medians: ${delta > 0 ? '+' : ''}${delta} points; median of the paired differences: ` +
        `${median(diffs) > 0 ? '+' : ''}${median(diffs)} (pairs: ${diffs.map((d) => (d > 0 ? '+' : '') + d).join(' ')})`,
    );
    console.log(`goal: the block costs at most 2 points (Shopify allows 10): ${-delta <= 2 ? 'met' : 'NOT met'} (printed, not asserted)`);
    console.log(
      outside.length
        ? `requests outside loopback: ${[...new Set(outside)].join(', ')}`
        : 'every request went to the two loopback servers',
    );
    const lcp = await lcpElements({A: `${shopServer.origin}/without/cart`, B: `${shopServer.origin}/with/cart`}, args.chrome);
    if (lcp) {
      for (const v of ['A', 'B']) {
        const e = lcp[v];
        console.log(`LCP element ${v} (playwright-core, 412×823): ${e ? `${e.label} "${e.text}" (${Math.round(e.size)} px²)` : 'none reported'}`);
      }
    }
    console.log(`${uptime()}  (${Math.round((Date.now() - started) / 1000)} s)`);
  } finally {
    if (shopServer?.listening) await new Promise((r) => shopServer.close(r));
    if (cdnServer?.listening) await new Promise((r) => cdnServer.close(r));
    if (args.keep) console.log(`kept ${tmp}`);
    else fs.rmSync(tmp, {recursive: true, force: true});
  }
}

main().catch((err) => {
  console.error(err?.stack || err);
  process.exit(1);
});
