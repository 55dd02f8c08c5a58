// Test helpers for the checkout extension.
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const LOCALES_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../locales',
);

/** Every locale file of the extension: {code: {data, isDefault}}. */
export function loadLocales(dir = LOCALES_DIR) {
  const locales = {};
  for (const file of fs.readdirSync(dir)) {
    if (!file.endsWith('.json')) continue;
    const isDefault = file.endsWith('.default.json');
    const code = file.replace(/(\.default)?\.json$/, '');
    locales[code] = {
      data: JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')),
      isDefault,
    };
  }
  return locales;
}

function lookup(data, key) {
  return key
    .split('.')
    .reduce((node, part) => (node == null ? undefined : node[part]), data);
}

/**
 * A stand-in for `shopify.i18n.translate` as Shopify resolves it for a buyer
 * locale: the exact locale (de-DE), then its language (de), then the
 * extension's default locale (en.default.json); `{{name}}` placeholders are
 * replaced by the options.
 */
export function createTranslate(buyerLocale, dir = LOCALES_DIR) {
  const locales = loadLocales(dir);
  const defaultCode = Object.keys(locales).find((c) => locales[c].isDefault);
  const candidates = [buyerLocale, String(buyerLocale).split('-')[0], defaultCode];
  return (key, options = {}) => {
    for (const code of candidates) {
      const value = locales[code] && lookup(locales[code].data, key);
      if (typeof value === 'string') {
        return value.replace(/\{\{\s*(\w+)\s*\}\}/g, (match, name) =>
          name in options ? String(options[name]) : match,
        );
      }
    }
    return key;
  };
}

/** The default wording of a locale file, with the store name filled in. */
export function defaultWording(code, store) {
  const locales = loadLocales();
  return lookup(locales[code].data, 'consent.default_text').replace(
    /\{\{\s*store\s*\}\}/g,
    store,
  );
}

/** The words before the privacy policy link in a locale ("Privacy policy:"). */
export function privacyLabel(code) {
  return lookup(loadLocales()[code].data, 'consent.privacy_policy_label');
}

/** The default wording followed by the privacy policy sentence, as shown and recorded. */
export function defaultWordingWithPolicy(code, store, url) {
  return `${defaultWording(code, store)} ${privacyLabel(code)} ${url}`;
}

/** Text content with whitespace collapsed, as a buyer reads it. */
export function readableText(element) {
  return String(element?.textContent ?? '').replace(/\s+/g, ' ').trim();
}

/**
 * Adds APIs that Shopify only provides to apps with protected customer data
 * access (`buyerIdentity`, `shippingAddress`), which the tester's mock omits.
 * Must be called after `extension.setUp()` and before `extension.render()`.
 */
export function provideOptionalApis(extras) {
  const base = globalThis.shopify;
  globalThis.shopify = new Proxy(base, {
    get(target, prop) {
      if (Object.prototype.hasOwnProperty.call(extras, prop)) return extras[prop];
      return target[prop];
    },
    set(target, prop, value) {
      target[prop] = value;
      return true;
    },
    has(target, prop) {
      return Object.prototype.hasOwnProperty.call(extras, prop) || prop in target;
    },
  });
}

/** A signal-like value as the checkout host provides. */
export function signal(value) {
  return {value, current: value, subscribe: () => () => {}};
}

/** Reads a property of a Polaris element whether Preact set it as a property or an attribute. */
export function prop(element, name) {
  if (element == null) return undefined;
  if (element[name] !== undefined) return element[name];
  return element.hasAttribute(name) ? element.getAttribute(name) : undefined;
}

export function isChecked(element) {
  const value = prop(element, 'checked');
  return value === true || value === '' || value === 'true';
}

export function isDisabled(element) {
  const value = prop(element, 'disabled');
  return value === true || value === '' || value === 'true';
}

export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
