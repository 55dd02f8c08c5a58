// The cart-page block (theme app extension) in real headless Chromium,
// against a local storefront that renders blocks/consent.liquid and fakes
// POST /cart/update.js.
import fs from 'node:fs';
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, test} from 'vitest';
import {chromium} from 'playwright-core';

import {readStorefrontLocale, startStorefront} from './cart-fixture.js';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const SHOP = 'Acme Outdoor & Co';

const CHECKBOX = '[data-ringback-checkbox]';
const TEXT = '[data-ringback-text]';
const ERROR = '[data-ringback-error]';
const PHONE = '[data-ringback-phone]';
const PHONE_ERROR = '[data-ringback-phone-error]';
const POLICY_LINK = `${TEXT} a`;
const SHOP_POLICY_PATH = '/policies/privacy-policy';

function wording(locale, store) {
  return readStorefrontLocale(locale).ringback.consent.default_text.replace(
    /\{\{\s*store\s*\}\}/g,
    store,
  );
}

function privacyLabel(locale) {
  return readStorefrontLocale(locale).ringback.consent.privacy_policy_label;
}

function wordingWithPolicy(locale, store, url) {
  return `${wording(locale, store)} ${privacyLabel(locale)} ${url}`;
}

let browser;
let storefront;
let page;
let pageErrors;

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}. The cart block tests need a real browser: ` +
        'install it with `apt-get install -y chromium` (Debian), or set CHROMIUM_PATH.',
    );
  }
  browser = await chromium.launch({executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS});
  storefront = await startStorefront();
});

afterAll(async () => {
  await browser?.close();
  await storefront?.close();
});

beforeEach(async () => {
  page = await browser.newPage();
  pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
});

afterEach(async () => {
  await page?.close();
  expect(pageErrors, 'JavaScript errors in the page').toEqual([]);
});

async function open(options = {}, path = '/cart') {
  await storefront.configure({shopName: SHOP, ...options});
  await page.goto(storefront.origin + path);
  await page.waitForFunction(() => window.RingbackConsent !== undefined);
  await page.waitForSelector('[data-ringback-consent][data-ringback-consent-ready="true"]');
}

async function requestCount(n) {
  await expect.poll(() => storefront.state.requests.length, {timeout: 5000}).toBe(n);
}

async function settled() {
  await page.waitForSelector(`${CHECKBOX}:not([disabled])`);
}

describe('cart-page consent block (Chromium)', () => {
  test('renders unticked, with the wording naming the store, and no phone field yet', async () => {
    await open();
    expect(await page.isChecked(CHECKBOX)).toBe(false);
    expect(await page.locator(TEXT).innerText()).toBe(wording('en', SHOP));
    expect(await page.isVisible(PHONE)).toBe(false);
    expect(await page.isVisible(ERROR)).toBe(false);
    // Clicking the wording toggles the box (label is bound to it).
    expect(await page.getAttribute(TEXT, 'for')).toBe(await page.getAttribute(CHECKBOX, 'id'));
  });

  test('tick → the request carries the attributes', async () => {
    await open();
    const before = Date.now();

    await page.click(CHECKBOX);

    await requestCount(1);
    const [request] = storefront.state.requests;
    expect(request.path).toBe('/cart/update.js');
    expect(request.contentType).toMatch(/^application\/json/);
    const shown = await page.locator(TEXT).innerText();
    expect(shown).toBe(wording('en', SHOP));
    expect(request.body).toEqual({
      attributes: {
        ringback_consent: 'yes',
        ringback_consent_text: shown,
        ringback_consent_at: expect.stringMatching(ISO_UTC),
        ringback_consent_source: 'cart',
      },
    });
    const at = Date.parse(request.body.attributes.ringback_consent_at);
    expect(at).toBeGreaterThanOrEqual(before - 1000);
    expect(at).toBeLessThanOrEqual(Date.now() + 1000);
    await settled();
    expect(await page.isChecked(CHECKBOX)).toBe(true);
    expect(await page.isVisible(ERROR)).toBe(false);
    expect(storefront.state.attributes.ringback_consent).toBe('yes');
    expect(storefront.state.attributes.ringback_consent_source).toBe('cart');
  });

  test('untick → no', async () => {
    await open();
    await page.click(CHECKBOX);
    await requestCount(1);
    await settled();

    await page.click(CHECKBOX);

    await requestCount(2);
    const {attributes} = storefront.state.requests[1].body;
    expect(attributes.ringback_consent).toBe('no');
    expect(attributes.ringback_consent_at).toMatch(ISO_UTC);
    expect(attributes.ringback_consent_text).toBe(wording('en', SHOP));
    expect(attributes.ringback_consent_source).toBe('cart');
    expect(Object.keys(attributes).sort()).toEqual([
      'ringback_consent',
      'ringback_consent_at',
      'ringback_consent_source',
      'ringback_consent_text',
    ]);
    await settled();
    expect(await page.isChecked(CHECKBOX)).toBe(false);
    expect(storefront.state.attributes.ringback_consent).toBe('no');
  });

  test('phone typed → ringback_phone', async () => {
    await open();
    await page.click(CHECKBOX);
    await requestCount(1);
    await settled();
    expect(await page.isVisible(PHONE)).toBe(true);

    await page.fill(PHONE, '  +1 (555) 010-2030 ');
    await page.locator(PHONE).blur();

    await requestCount(2);
    expect(storefront.state.requests[1].body).toEqual({
      attributes: {ringback_phone: '+1 (555) 010-2030'},
    });
    expect(storefront.state.requests[1].contentType).toMatch(/^application\/json/);
    expect(await page.isVisible(PHONE_ERROR)).toBe(false);
    expect(storefront.state.attributes.ringback_phone).toBe('+1 (555) 010-2030');
  });

  test('invalid phone → visible error and nothing sent', async () => {
    await open();
    await page.click(CHECKBOX);
    await requestCount(1);
    await settled();

    await page.fill(PHONE, 'call me maybe');
    await page.locator(PHONE).blur();

    await page.waitForSelector(`${PHONE_ERROR}:not([hidden])`);
    expect(await page.locator(PHONE_ERROR).innerText()).toBe(
      readStorefrontLocale('en').ringback.consent.phone_invalid,
    );
    expect(await page.getAttribute(PHONE, 'aria-invalid')).toBe('true');
    await page.waitForTimeout(200);
    expect(storefront.state.requests).toHaveLength(1);
  });

  test('server error → visible error and checkbox reverts', async () => {
    await open();
    storefront.state.failWith = 500;

    await page.click(CHECKBOX);

    await requestCount(1);
    await page.waitForSelector(`${ERROR}:not([hidden])`);
    expect(await page.locator(ERROR).innerText()).toBe(
      readStorefrontLocale('en').ringback.consent.save_error,
    );
    await settled();
    expect(await page.isChecked(CHECKBOX)).toBe(false);
    expect(await page.isVisible(PHONE)).toBe(false);
    expect(storefront.state.attributes.ringback_consent).toBeUndefined();

    // The next attempt works and clears the error.
    storefront.state.failWith = null;
    await page.click(CHECKBOX);
    await requestCount(2);
    await settled();
    expect(await page.isChecked(CHECKBOX)).toBe(true);
    expect(await page.isVisible(ERROR)).toBe(false);
  });

  test('server error on untick → the box stays ticked', async () => {
    await open();
    await page.click(CHECKBOX);
    await requestCount(1);
    await settled();
    storefront.state.failWith = 422;

    await page.click(CHECKBOX);

    await requestCount(2);
    await page.waitForSelector(`${ERROR}:not([hidden])`);
    await settled();
    expect(await page.isChecked(CHECKBOX)).toBe(true);
  });

  test('the merchant wording override is what gets sent', async () => {
    await open({
      settings: {consent_text: '{store} may call or text me with its AI assistant.\n  Reply STOP to opt out. <b>x</b>'},
    });
    const expected = `${SHOP} may call or text me with its AI assistant. Reply STOP to opt out. <b>x</b>`;
    expect(await page.locator(TEXT).innerText()).toBe(expected);

    await page.click(CHECKBOX);

    await requestCount(1);
    expect(storefront.state.requests[0].body.attributes.ringback_consent_text).toBe(expected);
  });

  test('Shopify.routes.root prefixes the Cart API path', async () => {
    await open({routesRoot: '/fr-ca/', locale: 'fr'}, '/fr-ca/cart');
    expect(await page.locator(TEXT).innerText()).toBe(wording('fr', SHOP));

    await page.click(CHECKBOX);

    await requestCount(1);
    expect(storefront.state.requests[0].path).toBe('/fr-ca/cart/update.js');
    expect(storefront.state.requests[0].body.attributes.ringback_consent_text).toBe(
      wording('fr', SHOP),
    );
  });

  test.each(['es', 'de'])('%s storefront shows its own wording', async (locale) => {
    await open({locale});
    expect(await page.locator(TEXT).innerText()).toBe(wording(locale, SHOP));
  });

  test('wording links the privacy policy and the attribute carries its URL', async () => {
    await open({shopPrivacyPolicyUrl: SHOP_POLICY_PATH});
    const url = storefront.origin + SHOP_POLICY_PATH;
    const expected = wordingWithPolicy('en', SHOP, url);
    expect(expected.endsWith(`Privacy policy: ${url}`)).toBe(true);
    expect(await page.locator(TEXT).innerText()).toBe(expected);
    const link = page.locator(POLICY_LINK);
    expect(await link.count()).toBe(1);
    expect(await link.getAttribute('href')).toBe(url);
    expect(await link.innerText()).toBe(url);
    expect(await link.getAttribute('target')).toBe('_blank');
    expect(await link.getAttribute('rel')).toMatch(/\bnoopener\b/);

    await page.click(CHECKBOX);

    await requestCount(1);
    expect(storefront.state.requests[0].body.attributes).toMatchObject({
      ringback_consent: 'yes',
      ringback_consent_text: expected,
    });
  });

  test('the block setting gives the policy link when the shop has no privacy policy', async () => {
    const url = 'https://legal.acme.example/privacy?lang=en&v=2';
    await open({settings: {privacy_policy_url: `  ${url} `}});
    expect(await page.locator(TEXT).innerText()).toBe(wordingWithPolicy('en', SHOP, url));
    expect(await page.locator(POLICY_LINK).getAttribute('href')).toBe(url);

    await page.click(CHECKBOX);

    await requestCount(1);
    expect(storefront.state.requests[0].body.attributes.ringback_consent_text).toBe(
      wordingWithPolicy('en', SHOP, url),
    );
  });

  test('a relative policy setting is made absolute on the store', async () => {
    await open({settings: {privacy_policy_url: '/pages/privacy'}});
    const url = `${storefront.origin}/pages/privacy`;
    expect(await page.locator(TEXT).innerText()).toBe(wordingWithPolicy('en', SHOP, url));
  });

  test("the shop's privacy policy comes before the block setting", async () => {
    await open({
      shopPrivacyPolicyUrl: SHOP_POLICY_PATH,
      settings: {privacy_policy_url: 'https://legal.acme.example/privacy'},
    });
    expect(await page.locator(POLICY_LINK).getAttribute('href')).toBe(
      storefront.origin + SHOP_POLICY_PATH,
    );
  });

  test.each([
    ['no policy and no setting', {}],
    ['a setting that is not an http(s) URL', {settings: {privacy_policy_url: 'javascript:alert(1)'}}],
    ['a setting with spaces', {settings: {privacy_policy_url: 'https://acme.example/privacy policy'}}],
  ])('no policy url: no link sentence (%s)', async (_name, options) => {
    await open(options);
    expect(await page.locator(TEXT).innerText()).toBe(wording('en', SHOP));
    expect(await page.locator(TEXT).innerText()).not.toContain(privacyLabel('en'));
    expect(await page.locator(POLICY_LINK).count()).toBe(0);

    await page.click(CHECKBOX);

    await requestCount(1);
    expect(storefront.state.requests[0].body.attributes.ringback_consent_text).toBe(
      wording('en', SHOP),
    );
  });

  test('custom wording still wins over the default and its policy link', async () => {
    await open({
      shopPrivacyPolicyUrl: SHOP_POLICY_PATH,
      settings: {consent_text: '{store} may text me. Reply STOP to opt out.'},
    });
    const expected = `${SHOP} may text me. Reply STOP to opt out.`;
    expect(await page.locator(TEXT).innerText()).toBe(expected);
    expect(await page.locator(POLICY_LINK).count()).toBe(0);

    await page.click(CHECKBOX);

    await requestCount(1);
    expect(storefront.state.requests[0].body.attributes.ringback_consent_text).toBe(expected);
  });

  test('following the policy link does not tick the box', async () => {
    await open({shopPrivacyPolicyUrl: SHOP_POLICY_PATH});
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click(POLICY_LINK)]);
    await popup.close();
    expect(await page.isChecked(CHECKBOX)).toBe(false);
    await page.waitForTimeout(200);
    expect(storefront.state.requests).toHaveLength(0);
  });

  test.each(['es', 'fr', 'de'])(
    '%s storefront shows the policy sentence in its language',
    async (locale) => {
      await open({locale, shopPrivacyPolicyUrl: SHOP_POLICY_PATH});
      const url = storefront.origin + SHOP_POLICY_PATH;
      expect(await page.locator(TEXT).innerText()).toBe(wordingWithPolicy(locale, SHOP, url));
    },
  );

  test('a yes given to the wording before the policy link leaves the box unticked', async () => {
    await open({
      shopPrivacyPolicyUrl: SHOP_POLICY_PATH,
      cartAttributes: {ringback_consent: 'yes', ringback_consent_text: wording('en', SHOP)},
    });
    expect(await page.isChecked(CHECKBOX)).toBe(false);
  });

  test('a yes already in the cart for the same wording shows ticked', async () => {
    await open({
      cartAttributes: {
        ringback_consent: 'yes',
        ringback_consent_text: wording('en', SHOP),
        ringback_phone: '+15550102030',
      },
    });
    expect(await page.isChecked(CHECKBOX)).toBe(true);
    expect(await page.inputValue(PHONE)).toBe('+15550102030');
    expect(storefront.state.requests).toHaveLength(0);
  });

  test('phone field can be turned off by the merchant', async () => {
    await open({settings: {collect_phone: false}});
    await page.click(CHECKBOX);
    await requestCount(1);
    expect(await page.locator(PHONE).count()).toBe(0);
  });
});
