// Validates every extensions/*/shopify.extension.toml and the locale files
// against the rules Shopify CLI applies (packages/app of Shopify/cli:
// BaseSchema / HandleSchema, ui_extension and theme specifications,
// locales-configuration) and the checkout UI extensions configuration docs.
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {createRequire} from 'node:module';
import {describe, expect, test} from 'vitest';
import {parse as parseToml} from 'smol-toml';

import {readBlockSchema} from './cart-fixture.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHECKOUT_DIR = path.join(ROOT, 'checkout-consent');
const CART_DIR = path.join(ROOT, 'cart-consent');
const REQUIRED_LOCALES = ['en', 'es', 'fr', 'de'];
const MIN_API_VERSION = '2025-10';

// Shopify CLI HandleSchema: trimmed, 1..30 chars, [a-zA-Z0-9-], no leading or
// trailing hyphen, not only hyphens.
function isValidHandle(handle) {
  return (
    typeof handle === 'string' &&
    handle.trim() === handle &&
    handle.length > 0 &&
    handle.length <= 30 &&
    /^[a-zA-Z0-9-]*$/.test(handle) &&
    !handle.startsWith('-') &&
    !handle.endsWith('-') &&
    /[^-]/.test(handle)
  );
}

// Setting types a checkout UI extension may declare in [extensions.settings].
const CHECKOUT_SETTING_TYPES = new Set([
  'boolean',
  'date',
  'date_time',
  'single_line_text_field',
  'multi_line_text_field',
  'number_integer',
  'number_decimal',
  'variant_reference',
]);

// Theme input setting types usable in an app block schema.
const THEME_SETTING_TYPES = new Set([
  'checkbox', 'number', 'radio', 'range', 'select', 'text', 'textarea',
  'article', 'blog', 'collection', 'collection_list', 'color', 'color_background',
  'color_scheme', 'color_scheme_group', 'font_picker', 'html', 'image_picker',
  'inline_richtext', 'link_list', 'liquid', 'metaobject', 'metaobject_list', 'page',
  'product', 'product_list', 'richtext', 'text_alignment', 'url', 'video', 'video_url',
  'header', 'paragraph',
]);

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function flatKeys(object, prefix = '') {
  return Object.entries(object).flatMap(([key, value]) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? flatKeys(value, `${prefix}${key}.`)
      : [`${prefix}${key}`],
  );
}

function lookup(data, key) {
  return key.split('.').reduce((node, part) => (node == null ? undefined : node[part]), data);
}

/** The checkout targets declared by the installed @shopify/ui-extensions. */
function knownCheckoutTargets() {
  const require = createRequire(path.join(CHECKOUT_DIR, 'package.json'));
  const pkgDir = path.dirname(require.resolve('@shopify/ui-extensions'));
  const dts = fs.readFileSync(
    path.join(pkgDir, 'build/ts/surfaces/checkout/extension-targets.d.ts'),
    'utf8',
  );
  return new Set([...dts.matchAll(/^\s+'(purchase\.[a-z0-9.-]+)':/gm)].map((m) => m[1]));
}

function localeFiles(dir, {schema}) {
  return fs
    .readdirSync(dir)
    .filter((file) => file.endsWith('.json') && file.includes('.schema.') === schema);
}

function localeCode(file) {
  return file.split('.')[0];
}

/** Shopify CLI locale rules + the languages and identical keys we promise. */
function checkLocaleSet(dir, {schema = false} = {}) {
  const files = localeFiles(dir, {schema});
  const defaults = files.filter((file) =>
    file.endsWith(schema ? '.default.schema.json' : '.default.json'),
  );
  expect(defaults, `exactly one default locale in ${dir}`).toHaveLength(1);
  expect(localeCode(defaults[0])).toBe('en');
  const codes = files.map(localeCode);
  for (const code of REQUIRED_LOCALES) expect(codes, `${code} locale in ${dir}`).toContain(code);

  let total = 0;
  const byCode = {};
  for (const file of files) {
    const size = fs.statSync(path.join(dir, file)).size;
    total += size;
    expect(size, `${file} is not empty`).toBeGreaterThan(0);
    expect(size, `${file} under 16 KiB`).toBeLessThan(16 * 1024);
    byCode[localeCode(file)] = readJson(path.join(dir, file));
  }
  expect(total).toBeLessThan(256 * 1024);

  const expected = flatKeys(byCode.en).sort();
  for (const code of codes) {
    expect(flatKeys(byCode[code]).sort(), `keys of ${code} in ${dir}`).toEqual(expected);
    for (const key of expected) {
      const value = lookup(byCode[code], key);
      expect(typeof value === 'string' && value.trim().length > 0, `${code}:${key}`).toBe(true);
    }
  }
  return byCode;
}

describe('checkout-consent/shopify.extension.toml', () => {
  const config = parseToml(fs.readFileSync(path.join(CHECKOUT_DIR, 'shopify.extension.toml'), 'utf8'));
  const [extension] = config.extensions ?? [];

  test('api_version is a stable version >= 2025-10 matching @shopify/ui-extensions', () => {
    expect(config.api_version).toMatch(/^\d{4}-(01|04|07|10)$/);
    expect(config.api_version >= MIN_API_VERSION).toBe(true);
    const pkg = readJson(path.join(CHECKOUT_DIR, 'package.json'));
    const [year, month] = pkg.dependencies['@shopify/ui-extensions'].replace(/^[~^]/, '').split('.');
    expect(`${year}-${month.padStart(2, '0')}`).toBe(config.api_version);
    const tester = readJson(path.join(ROOT, 'package.json')).devDependencies['@shopify/ui-extensions-tester'];
    expect(tester.replace(/^[~^]/, '').startsWith(`${year}.${Number(month)}.`)).toBe(true);
    expect(pkg.dependencies.preact).toBeDefined();
    expect(pkg.dependencies['@preact/signals']).toBeDefined();
  });

  test('one ui_extension with a name and a valid handle', () => {
    expect(config.extensions).toHaveLength(1);
    expect(extension.type).toBe('ui_extension');
    expect(typeof extension.name).toBe('string');
    expect(extension.name.length).toBeGreaterThan(0);
    expect(isValidHandle(extension.handle)).toBe(true);
    if (extension.uid !== undefined) expect(typeof extension.uid).toBe('string');
    if (extension.description !== undefined) expect(typeof extension.description).toBe('string');
  });

  test('targets are known checkout targets, unique, with existing modules', () => {
    const known = knownCheckoutTargets();
    expect(known.size).toBeGreaterThan(10);
    expect(Array.isArray(extension.targeting)).toBe(true);
    expect(extension.targeting.length).toBeGreaterThan(0);
    const targets = extension.targeting.map((t) => t.target);
    expect(new Set(targets).size).toBe(targets.length);
    for (const {target, module} of extension.targeting) {
      expect(known.has(target), `${target} is a checkout target`).toBe(true);
      expect(typeof module).toBe('string');
      expect(fs.existsSync(path.join(CHECKOUT_DIR, module)), `${module} exists`).toBe(true);
    }
    expect(targets).toContain('purchase.checkout.contact.render-after');
    expect(targets).toContain('purchase.checkout.block.render');
  });

  test('capabilities: no API access, no network access', () => {
    const capabilities = extension.capabilities;
    const allowed = ['api_access', 'network_access', 'block_progress', 'collect_buyer_consent'];
    for (const key of Object.keys(capabilities)) expect(allowed).toContain(key);
    for (const key of ['api_access', 'network_access', 'block_progress']) {
      if (key in capabilities) expect(typeof capabilities[key]).toBe('boolean');
    }
    expect(capabilities.api_access).toBe(false);
    expect(capabilities.network_access).toBe(false);
  });

  test('settings fields have valid keys and types, including consent_text', () => {
    const fields = extension.settings?.fields;
    expect(Array.isArray(fields)).toBe(true);
    expect(fields.length).toBeLessThanOrEqual(20);
    const keys = fields.map((f) => f.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const field of fields) {
      expect(field.key).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(CHECKOUT_SETTING_TYPES.has(field.type), `${field.key}: ${field.type}`).toBe(true);
      expect(typeof field.name).toBe('string');
      if (field.description !== undefined) expect(typeof field.description).toBe('string');
      if (field.validations !== undefined) expect(Array.isArray(field.validations)).toBe(true);
    }
    expect(fields.find((f) => f.key === 'consent_text')?.type).toBe('multi_line_text_field');
    expect(fields.find((f) => f.key === 'store_name')?.type).toBe('single_line_text_field');
    // The Checkout UI extensions API gives no policy URLs: the merchant enters it.
    expect(fields.find((f) => f.key === 'privacy_policy_url')?.type).toBe('single_line_text_field');
  });

  test('locales: en default plus es, fr, de with identical keys', () => {
    const locales = checkLocaleSet(path.join(CHECKOUT_DIR, 'locales'));
    for (const [code, data] of Object.entries(locales)) {
      expect(data.consent.default_text, code).toMatch(/\{\{\s*store\s*\}\}/);
    }
  });
});

describe('cart-consent (theme app extension)', () => {
  const config = parseToml(fs.readFileSync(path.join(CART_DIR, 'shopify.extension.toml'), 'utf8'));

  test('shopify.extension.toml: type theme, a name and a valid handle', () => {
    expect(config.type).toBe('theme');
    expect(typeof config.name).toBe('string');
    expect(config.name.length).toBeGreaterThan(0);
    if (config.handle !== undefined) expect(isValidHandle(config.handle)).toBe(true);
  });

  test('only the directories and file types Shopify CLI accepts', () => {
    const rules = {
      assets: /\.(jpg|jpeg|json|js|css|png|svg|wasm)$/,
      blocks: /\.liquid$/,
      locales: /\.json$/,
      snippets: /\.liquid$/,
    };
    let liquidBytes = 0;
    let totalBytes = 0;
    for (const entry of fs.readdirSync(CART_DIR, {withFileTypes: true})) {
      if (entry.isFile()) {
        expect(entry.name).toBe('shopify.extension.toml');
        continue;
      }
      expect(Object.keys(rules), `directory ${entry.name}`).toContain(entry.name);
      for (const file of fs.readdirSync(path.join(CART_DIR, entry.name), {withFileTypes: true})) {
        expect(file.isFile(), `${entry.name}/${file.name} is a file`).toBe(true);
        expect(file.name, `${entry.name}/${file.name}`).toMatch(rules[entry.name]);
        const size = fs.statSync(path.join(CART_DIR, entry.name, file.name)).size;
        totalBytes += size;
        if (entry.name === 'blocks' || entry.name === 'snippets') liquidBytes += size;
      }
    }
    expect(liquidBytes).toBeLessThan(500 * 1024);
    expect(totalBytes).toBeLessThan(10 * 1024 * 1024);
  });

  test('the app block schema: section target, assets present, valid settings', () => {
    const schema = readBlockSchema();
    expect(schema.target).toBe('section');
    expect(typeof schema.name).toBe('string');
    expect(fs.existsSync(path.join(CART_DIR, 'assets', schema.javascript))).toBe(true);
    expect(fs.existsSync(path.join(CART_DIR, 'assets', schema.stylesheet))).toBe(true);
    expect(schema.enabled_on?.templates).toContain('cart');
    const ids = schema.settings.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const setting of schema.settings) {
      expect(THEME_SETTING_TYPES.has(setting.type), setting.type).toBe(true);
      expect(setting.id).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(typeof setting.label).toBe('string');
    }
    expect(schema.settings.find((s) => s.id === 'consent_text')?.type).toBe('textarea');
    expect(schema.settings.find((s) => s.id === 'privacy_policy_url')?.type).toBe('url');
    // The box is never pre-ticked by markup.
    const liquid = fs.readFileSync(path.join(CART_DIR, 'blocks/consent.liquid'), 'utf8');
    expect(liquid).not.toMatch(/<input[^>]*type="checkbox"[^>]*\bchecked\b/);
  });

  test('locales: storefront and schema files for en (default), es, fr, de with identical keys', () => {
    const storefront = checkLocaleSet(path.join(CART_DIR, 'locales'));
    const schemaLocales = checkLocaleSet(path.join(CART_DIR, 'locales'), {schema: true});

    const schema = readBlockSchema();
    const schemaRefs = [schema.name, ...schema.settings.flatMap((s) => [s.label, s.info])]
      .filter((v) => typeof v === 'string' && v.startsWith('t:'))
      .map((v) => v.slice(2));
    expect(schemaRefs.length).toBeGreaterThan(0);
    for (const [code, data] of Object.entries(schemaLocales)) {
      for (const key of schemaRefs) expect(typeof lookup(data, key), `${code}:${key}`).toBe('string');
      expect(lookup(data, 'blocks.consent.name').length, `${code} block name`).toBeLessThanOrEqual(25);
    }

    const liquid = fs.readFileSync(path.join(CART_DIR, 'blocks/consent.liquid'), 'utf8');
    const used = [...liquid.matchAll(/'([a-z0-9_.]+)'\s*\|\s*t\b/g)].map((m) => m[1]);
    expect(used.length).toBeGreaterThan(0);
    for (const [code, data] of Object.entries(storefront)) {
      for (const key of used) expect(typeof lookup(data, key), `${code}:${key}`).toBe('string');
    }
  });

  test('the cart block and the checkout extension show the same default wording', () => {
    for (const code of REQUIRED_LOCALES) {
      const file = code === 'en' ? 'en.default.json' : `${code}.json`;
      const cart = readJson(path.join(CART_DIR, 'locales', file)).ringback.consent;
      const checkout = readJson(path.join(CHECKOUT_DIR, 'locales', file)).consent;
      const fill = (text) => text.replace(/\{\{\s*store\s*\}\}/g, 'STORE');
      expect(fill(cart.default_text), code).toBe(fill(checkout.default_text));
      expect(cart.privacy_policy_label, code).toBe(checkout.privacy_policy_label);
    }
  });
});
