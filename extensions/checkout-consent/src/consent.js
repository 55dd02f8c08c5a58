// Pure helpers for the Ringback consent block. No access to the `shopify`
// global here: everything is passed in, so each function is unit-testable.

/** Cart attribute keys read by the Ringback backend (see shared CONTRACT). */
export const ATTR = Object.freeze({
  consent: 'ringback_consent',
  text: 'ringback_consent_text',
  at: 'ringback_consent_at',
  phone: 'ringback_phone',
  // Not in the contract's four: tells the backend's ledger which surface asked.
  source: 'ringback_consent_source',
});

/** Value of `ringback_consent_source` written by this extension. */
export const SOURCE = 'checkout';

/** Locale key of the default consent wording (locales/*.json). */
export const DEFAULT_TEXT_KEY = 'consent.default_text';

/** Locale key of the words before the privacy policy link ("Privacy policy:"). */
export const PRIVACY_LABEL_KEY = 'consent.privacy_policy_label';

// An absolute http(s) URL without whitespace: anything else is not shown as a
// link, so the buyer never sees a broken one.
const POLICY_URL = /^https?:\/\/[^\s/?#]+[^\s]*$/i;

/** Placeholder a merchant may use in the wording override. */
export const STORE_PLACEHOLDER = '{store}';

/**
 * Collapses runs of whitespace (including the line breaks of a multi-line
 * setting) to single spaces and trims, so that the wording written to the
 * cart is exactly the wording a buyer sees rendered.
 */
export function normalizeWording(text) {
  return String(text ?? '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The store name shown in the wording: the merchant's setting, else the shop's name. */
export function resolveStoreName(settingValue, shopName) {
  const fromSetting = normalizeWording(
    typeof settingValue === 'string' ? settingValue : '',
  );
  return fromSetting || normalizeWording(shopName);
}

/**
 * The privacy policy URL to link, or '' when there is none usable: the
 * merchant's `privacy_policy_url` setting, trimmed, if it is an absolute
 * http(s) URL.
 */
export function resolvePrivacyPolicyUrl(settingValue) {
  const url = typeof settingValue === 'string' ? settingValue.trim() : '';
  return POLICY_URL.test(url) ? url : '';
}

function translated(translate, key, options) {
  const value = translate(key, options);
  return normalizeWording(Array.isArray(value) ? value.join('') : value);
}

/**
 * The consent wording to show next to the checkbox.
 *
 * - a non-blank merchant override wins, as written; every `{store}` in it is
 *   replaced by the store name;
 * - otherwise the default wording of the buyer's language, obtained through
 *   `translate` (Shopify's `shopify.i18n.translate`), with `{{store}}`,
 *   followed by "Privacy policy: <url>" when a policy URL is known.
 *
 * @returns {{text: string, body: string, privacy: null | {label: string, url: string}}}
 *   `text` is the whole wording as the buyer reads it (what the cart
 *   attribute records); `body` and `privacy` are its parts, for rendering the
 *   URL as a link.
 */
export function resolveConsentWording({override, storeName, translate, privacyPolicyUrl}) {
  const custom = normalizeWording(typeof override === 'string' ? override : '');
  if (custom) {
    const text = normalizeWording(custom.split(STORE_PLACEHOLDER).join(storeName));
    return {text, body: text, privacy: null};
  }
  const body = translated(translate, DEFAULT_TEXT_KEY, {store: storeName});
  const url = resolvePrivacyPolicyUrl(privacyPolicyUrl);
  if (!url) return {text: body, body, privacy: null};
  const label = translated(translate, PRIVACY_LABEL_KEY);
  return {text: `${body} ${label} ${url}`, body, privacy: {label, url}};
}

/** The consent wording as one string (see `resolveConsentWording`). */
export function resolveConsentText(options) {
  return resolveConsentWording(options).text;
}

/** ISO-8601 UTC timestamp (e.g. 2026-11-22T13:00:00.000Z). */
export function isoUtc(date = new Date()) {
  return date.toISOString();
}

/**
 * The attribute changes for one tick or untick, in the order they should be
 * applied. On a tick the wording and time are written first and `yes` last,
 * so `yes` never lands without them. On an untick `no` goes first, so the
 * withdrawal is recorded even if a later write fails.
 */
export function consentAttributeChanges({consented, text, at}) {
  const timestamp = at instanceof Date ? isoUtc(at) : String(at);
  const update = (key, value) => ({type: 'updateAttribute', key, value});
  if (consented) {
    return [
      update(ATTR.source, SOURCE),
      update(ATTR.text, text),
      update(ATTR.at, timestamp),
      update(ATTR.consent, 'yes'),
    ];
  }
  return [
    update(ATTR.consent, 'no'),
    update(ATTR.at, timestamp),
    update(ATTR.text, text),
    update(ATTR.source, SOURCE),
  ];
}

/**
 * Whether the `ringback_consent` value itself was written, given how many of
 * `changes` were applied in order. That value is what the box must show.
 */
export function consentCommitted(changes, applied) {
  const index = changes.findIndex((change) => change.key === ATTR.consent);
  return index >= 0 && applied > index;
}

/** The change that stores (or, when blank, removes) the typed phone. */
export function phoneAttributeChange(phone) {
  return phone
    ? {type: 'updateAttribute', key: ATTR.phone, value: phone}
    : {type: 'removeAttribute', key: ATTR.phone};
}

const PHONE_ALLOWED = /^\+?[0-9 ()./-]+$/;

/**
 * Basic sanity check of a phone number typed by the buyer. It never rewrites
 * or guesses digits: the value kept is the trimmed input, as typed.
 *
 * Accepts digits, spaces and the usual separators ( ) . - /, with an optional
 * single leading `+`, and 7 to 15 digits in total (E.164 allows at most 15).
 *
 * @returns {{ok: true, value: string} | {ok: false, value: string, reason: string}}
 */
export function checkPhone(raw) {
  const value = String(raw ?? '').trim();
  if (value === '') return {ok: true, value: ''};
  if (!PHONE_ALLOWED.test(value)) {
    return {ok: false, value, reason: 'characters'};
  }
  const digits = value.replace(/[^0-9]/g, '').length;
  if (digits < 7) return {ok: false, value, reason: 'too_short'};
  if (digits > 15) return {ok: false, value, reason: 'too_long'};
  return {ok: true, value};
}

/** True when either the buyer's contact phone or the shipping phone is set. */
export function hasCheckoutPhone({buyerPhone, shippingPhone}) {
  return Boolean(
    normalizeWording(buyerPhone) || normalizeWording(shippingPhone),
  );
}

/** The value of a cart attribute from `shopify.attributes.value`. */
export function attributeValue(attributes, key) {
  if (!Array.isArray(attributes)) return undefined;
  const found = attributes.find((attribute) => attribute?.key === key);
  return found ? found.value : undefined;
}

/**
 * The box starts unticked, unless this cart already carries a `yes` given to
 * exactly the wording now shown (a reload, or the cart-page block).
 */
export function initialConsent(attributes, text) {
  return (
    attributeValue(attributes, ATTR.consent) === 'yes' &&
    normalizeWording(attributeValue(attributes, ATTR.text)) === text
  );
}
