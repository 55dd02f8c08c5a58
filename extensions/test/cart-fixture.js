// Renders the real blocks/consent.liquid (with liquidjs, standing in for the
// storefront's Liquid) and serves it from a tiny local storefront that fakes
// the Cart AJAX API, recording every POST /cart/update.js.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {Liquid} from 'liquidjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const CART_EXTENSION_DIR = path.resolve(HERE, '../cart-consent');
const BLOCK_FILE = path.join(CART_EXTENSION_DIR, 'blocks/consent.liquid');
const ASSETS_DIR = path.join(CART_EXTENSION_DIR, 'assets');
const LOCALES_DIR = path.join(CART_EXTENSION_DIR, 'locales');

function escapeHtml(value) {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** The JSON inside {% schema %} … {% endschema %}. */
export function readBlockSchema(source = fs.readFileSync(BLOCK_FILE, 'utf8')) {
  const match = source.match(/{%-?\s*schema\s*-?%}([\s\S]*?){%-?\s*endschema\s*-?%}/);
  if (!match) throw new Error('blocks/consent.liquid has no {% schema %}');
  return JSON.parse(match[1]);
}

export function readStorefrontLocale(code) {
  const files = fs.readdirSync(LOCALES_DIR).filter((f) => !f.includes('.schema.'));
  const file =
    files.find((f) => f === `${code}.json` || f === `${code}.default.json`) ??
    files.find((f) => f.endsWith('.default.json'));
  return JSON.parse(fs.readFileSync(path.join(LOCALES_DIR, file), 'utf8'));
}

function lookup(data, key) {
  return key.split('.').reduce((node, part) => (node == null ? undefined : node[part]), data);
}

/**
 * Storefront-style `t` filter: the buyer's locale, then the default locale;
 * `{{ name }}` interpolation; the result is HTML-escaped (keys not ending in
 * `_html`), as Shopify does.
 */
function makeTranslate(locale) {
  const primary = readStorefrontLocale(locale);
  const fallback = readStorefrontLocale('en');
  return (key, ...args) => {
    const options = Object.fromEntries(args.filter(Array.isArray));
    const template = lookup(primary, key) ?? lookup(fallback, key);
    if (typeof template !== 'string') return `translation missing: ${locale}.${key}`;
    const text = template.replace(/\{\{\s*(\w+)\s*\}\}/g, (m, name) =>
      name in options ? String(options[name]) : m,
    );
    return key.endsWith('_html') ? text : escapeHtml(text);
  };
}

/**
 * Renders the block's HTML as the storefront would. `shopPrivacyPolicyUrl` is
 * Shopify's `shop.privacy_policy.url` (relative, e.g. /policies/privacy-policy;
 * omitted: the shop has no privacy policy); `origin` is `request.origin`.
 */
export async function renderBlock({
  locale = 'en',
  shopName = 'Acme Outdoor',
  shopPrivacyPolicyUrl,
  origin = 'https://acme.example',
  settings = {},
  cartAttributes = {},
  blockId = 'AbC123',
} = {}) {
  const source = fs.readFileSync(BLOCK_FILE, 'utf8');
  const schema = readBlockSchema(source);
  const defaults = Object.fromEntries(
    schema.settings.filter((s) => s.id).map((s) => [s.id, s.default ?? null]),
  );
  const engine = new Liquid({strictFilters: true});
  engine.registerTag('schema', {
    parse(_token, remainTokens) {
      let token;
      while ((token = remainTokens.shift())) {
        if (token.name === 'endschema') return;
      }
      throw new Error('{% schema %} is not closed');
    },
    render() {
      return '';
    },
  });
  engine.registerFilter('t', makeTranslate(locale));
  return engine.parseAndRender(source, {
    shop: {
      name: shopName,
      ...(shopPrivacyPolicyUrl === undefined
        ? {}
        : {privacy_policy: {title: 'Privacy policy', url: shopPrivacyPolicyUrl}}),
    },
    cart: {attributes: cartAttributes},
    block: {
      id: blockId,
      settings: {...defaults, ...settings},
      shopify_attributes: `data-shopify-editor-block="${blockId}"`,
    },
    request: {locale: {iso_code: locale}, origin},
  });
}

function page({blockHtml, routesRoot, locale, schema}) {
  const stylesheet = schema.stylesheet ? `<link rel="stylesheet" href="/assets/${schema.stylesheet}">` : '';
  const script = schema.javascript ? `<script src="/assets/${schema.javascript}" defer></script>` : '';
  const shopifyGlobal =
    routesRoot === undefined
      ? ''
      : `<script>window.Shopify = {routes: {root: ${JSON.stringify(routesRoot)}}};</script>`;
  return `<!doctype html>
<html lang="${locale}">
<head><meta charset="utf-8"><title>Cart</title>${stylesheet}${shopifyGlobal}</head>
<body>
<main>
<h1>Your cart</h1>
<section class="shopify-section">${blockHtml}</section>
</main>
${script}
</body>
</html>`;
}

/**
 * A local storefront on 127.0.0.1 (random port).
 *   GET  /cart, /<root>/cart  → the page with the rendered block
 *   GET  /assets/<file>       → the extension's assets
 *   POST <root>cart/update.js → recorded; answers like Shopify, or fails on demand
 */
export async function startStorefront() {
  const state = {
    pageHtml: '<!doctype html><p>not configured</p>',
    requests: [],
    attributes: {},
    failWith: null,
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname.startsWith('/assets/')) {
      const name = path.basename(url.pathname);
      const file = path.join(ASSETS_DIR, name);
      if (!fs.existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      const type = name.endsWith('.css') ? 'text/css' : 'text/javascript';
      res.writeHead(200, {'Content-Type': `${type}; charset=utf-8`, 'Cache-Control': 'no-store'});
      res.end(fs.readFileSync(file));
      return;
    }
    if (req.method === 'GET' && /\/cart\/?$/.test(url.pathname)) {
      res.writeHead(200, {'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store'});
      res.end(state.pageHtml);
      return;
    }
    if (req.method === 'POST' && url.pathname.endsWith('/cart/update.js')) {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        let json = null;
        try {
          json = JSON.parse(body);
        } catch {
          // recorded as null
        }
        state.requests.push({
          path: url.pathname,
          contentType: req.headers['content-type'],
          body: json,
          raw: body,
        });
        if (state.failWith) {
          res.writeHead(state.failWith, {'Content-Type': 'application/json'});
          res.end(JSON.stringify({status: state.failWith, message: 'Cart Error'}));
          return;
        }
        for (const [key, value] of Object.entries(json?.attributes ?? {})) {
          // Shopify drops an attribute set to a blank value.
          if (value === '' || value == null) delete state.attributes[key];
          else state.attributes[key] = String(value);
        }
        res.writeHead(200, {'Content-Type': 'application/json'});
        res.end(JSON.stringify({token: 'c1-test', attributes: state.attributes, items: []}));
      });
      return;
    }
    res.writeHead(404, {'Content-Type': 'text/plain'}).end('not found');
  });

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const {port} = server.address();

  const origin = `http://127.0.0.1:${port}`;

  return {
    origin,
    state,
    /** Renders the block for the next page load and resets the fake cart. */
    async configure({routesRoot, cartAttributes = {}, ...options} = {}) {
      const schema = readBlockSchema();
      const blockHtml = await renderBlock({origin, ...options, cartAttributes});
      state.pageHtml = page({blockHtml, routesRoot, locale: options.locale ?? 'en', schema});
      state.requests = [];
      state.attributes = {...cartAttributes};
      state.failWith = null;
      return blockHtml;
    },
    close() {
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
