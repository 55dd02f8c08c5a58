// @vitest-environment jsdom
import {afterEach, beforeEach, describe, expect, test, vi} from 'vitest';
import {fireEvent, waitFor} from '@testing-library/preact';
import {getExtension} from '@shopify/ui-extensions-tester';
import {createResult} from '@shopify/ui-extensions-tester/checkout';

import {
  createTranslate,
  defaultWording,
  defaultWordingWithPolicy,
  isChecked,
  isDisabled,
  ISO_UTC,
  prop,
  privacyLabel,
  provideOptionalApis,
  readableText,
  signal,
} from './helpers.js';

const TARGET = 'purchase.checkout.contact.render-after';
const extension = getExtension(TARGET);

const SHOP = 'Acme Outdoor';
const POLICY_URL = 'https://acme.example/policies/privacy-policy';

/**
 * `applyAttributeChange` calls for one tick or untick: ringback_consent_source,
 * ringback_consent_text, ringback_consent_at and ringback_consent.
 */
const CONSENT_WRITES = 4;

function checkbox() {
  return document.body.querySelector('s-checkbox');
}
function phoneField() {
  return document.body.querySelector('s-phone-field');
}
function banners() {
  return [...document.body.querySelectorAll('s-banner')];
}
function shownWording() {
  return prop(checkbox(), 'label');
}
/** The rich label (slot) of the checkbox, if any. */
function labelSlot() {
  return checkbox()?.querySelector(':scope > s-text[slot="label"]') ?? null;
}
function policyLinks() {
  return [...document.body.querySelectorAll('s-link')];
}

/** Simulates the buyer clicking the Polaris checkbox. */
function toggle(checked) {
  const box = checkbox();
  box.checked = checked;
  fireEvent.change(box);
}

/** Simulates the buyer typing a phone number and leaving the field. */
function typePhone(value) {
  const field = phoneField();
  field.value = value;
  fireEvent.change(field);
  fireEvent.blur(field);
}

function successfulWrites() {
  const spy = vi.fn().mockResolvedValue(createResult('applyAttributeChange'));
  extension.shopify.applyAttributeChange = spy;
  return spy;
}

function written(spy) {
  return Object.fromEntries(
    spy.mock.calls
      .map(([change]) => change)
      .filter((change) => change.type === 'updateAttribute')
      .map((change) => [change.key, change.value]),
  );
}

beforeEach(() => {
  extension.setUp();
  extension.shopify.shop.name = SHOP;
  extension.shopify.i18n.translate = createTranslate('en-US');
});

afterEach(() => {
  extension.tearDown();
});

describe('consent checkbox', () => {
  test('renders unticked by default with the default wording naming the store', async () => {
    await extension.render();

    expect(checkbox()).not.toBeNull();
    expect(isChecked(checkbox())).toBe(false);
    expect(isDisabled(checkbox())).toBe(false);
    expect(shownWording()).toBe(defaultWording('en', SHOP));
    expect(banners()).toHaveLength(0);
  });

  test('ticking writes the four attributes with the shown wording and the checkout source', async () => {
    const spy = successfulWrites();
    await extension.render();
    const before = Date.now();

    toggle(true);

    await waitFor(() => expect(spy).toHaveBeenCalledTimes(CONSENT_WRITES));
    const changes = spy.mock.calls.map(([change]) => change);
    expect(changes.every((c) => c.type === 'updateAttribute')).toBe(true);
    expect(changes.map((c) => c.key)).toEqual([
      'ringback_consent_source',
      'ringback_consent_text',
      'ringback_consent_at',
      'ringback_consent',
    ]);
    const values = written(spy);
    expect(values.ringback_consent).toBe('yes');
    expect(values.ringback_consent_source).toBe('checkout');
    expect(values.ringback_consent_text).toBe(shownWording());
    expect(values.ringback_consent_text).toBe(defaultWording('en', SHOP));
    expect(values.ringback_consent_at).toMatch(ISO_UTC);
    const at = Date.parse(values.ringback_consent_at);
    expect(at).toBeGreaterThanOrEqual(before - 1);
    expect(at).toBeLessThanOrEqual(Date.now() + 1);
    // `yes` is written last, after the source, the wording and the time.
    expect(changes.at(-1)).toEqual({
      type: 'updateAttribute',
      key: 'ringback_consent',
      value: 'yes',
    });
    await waitFor(() => expect(isChecked(checkbox())).toBe(true));
    expect(banners()).toHaveLength(0);
  });

  test('unticking writes no', async () => {
    const spy = successfulWrites();
    await extension.render();

    toggle(true);
    await waitFor(() => expect(spy).toHaveBeenCalledTimes(CONSENT_WRITES));
    await waitFor(() => expect(isDisabled(checkbox())).toBe(false));
    spy.mockClear();
    const before = Date.now();

    toggle(false);

    await waitFor(() => expect(spy).toHaveBeenCalledTimes(CONSENT_WRITES));
    const changes = spy.mock.calls.map(([change]) => change);
    // The withdrawal goes first.
    expect(changes[0]).toEqual({
      type: 'updateAttribute',
      key: 'ringback_consent',
      value: 'no',
    });
    const values = written(spy);
    expect(values.ringback_consent).toBe('no');
    expect(values.ringback_consent_at).toMatch(ISO_UTC);
    expect(Date.parse(values.ringback_consent_at)).toBeGreaterThanOrEqual(before - 1);
    expect(values.ringback_consent_text).toBe(shownWording());
    expect(values.ringback_consent_source).toBe('checkout');
    expect(changes.map((c) => c.key)).toEqual([
      'ringback_consent',
      'ringback_consent_at',
      'ringback_consent_text',
      'ringback_consent_source',
    ]);
    await waitFor(() => expect(isChecked(checkbox())).toBe(false));
  });

  test('the merchant wording override is what gets written', async () => {
    extension.shopify.settings.value = {
      consent_text:
        '  Yes, {store} may call\nor text me with its AI assistant. Calls may be recorded.\n' +
        'Not a condition of purchase. Msg & data rates may apply. Reply STOP, say "stop" or press 9 to opt out. ({store})  ',
    };
    const spy = successfulWrites();
    await extension.render();

    const expected =
      'Yes, Acme Outdoor may call or text me with its AI assistant. Calls may be recorded. ' +
      'Not a condition of purchase. Msg & data rates may apply. Reply STOP, say "stop" or press 9 to opt out. (Acme Outdoor)';
    expect(shownWording()).toBe(expected);

    toggle(true);

    await waitFor(() => expect(spy).toHaveBeenCalledTimes(CONSENT_WRITES));
    expect(written(spy).ringback_consent_text).toBe(expected);
    expect(written(spy).ringback_consent).toBe('yes');
  });

  test('the store name setting replaces the shop name in the default wording', async () => {
    extension.shopify.settings.value = {store_name: 'Acme Outdoor Ltd.'};
    await extension.render();
    expect(shownWording()).toBe(defaultWording('en', 'Acme Outdoor Ltd.'));
  });

  test('a blank override falls back to the default wording', async () => {
    extension.shopify.settings.value = {consent_text: '   \n  '};
    await extension.render();
    expect(shownWording()).toBe(defaultWording('en', SHOP));
  });

  test('a yes already given to the same wording shows ticked', async () => {
    extension.shopify.attributes.value = [
      {key: 'ringback_consent', value: 'yes'},
      {key: 'ringback_consent_text', value: defaultWording('en', SHOP)},
    ];
    await extension.render();
    expect(isChecked(checkbox())).toBe(true);
  });

  test('a yes given to other wording does not tick the box', async () => {
    extension.shopify.attributes.value = [
      {key: 'ringback_consent', value: 'yes'},
      {key: 'ringback_consent_text', value: 'Some older wording'},
    ];
    await extension.render();
    expect(isChecked(checkbox())).toBe(false);
  });
});

describe('privacy policy link', () => {
  test('wording links the privacy policy and the attribute carries its URL', async () => {
    extension.shopify.settings.value = {privacy_policy_url: ` ${POLICY_URL} `};
    const spy = successfulWrites();
    await extension.render();

    const expected = defaultWordingWithPolicy('en', SHOP, POLICY_URL);
    expect(expected.endsWith(`Privacy policy: ${POLICY_URL}`)).toBe(true);
    expect(shownWording()).toBe(expected);
    // Shown: the same words in the label slot, the URL as an s-link.
    const slot = labelSlot();
    expect(slot).not.toBeNull();
    expect(readableText(slot)).toBe(expected);
    const links = policyLinks();
    expect(links).toHaveLength(1);
    expect(slot.contains(links[0])).toBe(true);
    expect(prop(links[0], 'href')).toBe(POLICY_URL);
    expect(prop(links[0], 'target')).toBe('_blank');
    expect(readableText(links[0])).toBe(POLICY_URL);
    // Only text and s-link inside the slot, as the label slot allows.
    expect([...slot.children].map((child) => child.localName)).toEqual(['s-link']);

    toggle(true);

    await waitFor(() => expect(spy).toHaveBeenCalledTimes(CONSENT_WRITES));
    expect(written(spy).ringback_consent_text).toBe(expected);
    expect(written(spy).ringback_consent).toBe('yes');
  });

  test.each([
    ['es', 'es-ES'],
    ['fr', 'fr-CA'],
    ['de', 'de-DE'],
  ])('the policy sentence is in the buyer\'s language (%s)', async (code, locale) => {
    extension.shopify.settings.value = {privacy_policy_url: POLICY_URL};
    extension.shopify.i18n.translate = createTranslate(locale);
    await extension.render();
    expect(shownWording()).toBe(defaultWordingWithPolicy(code, SHOP, POLICY_URL));
    expect(readableText(labelSlot())).toContain(`${privacyLabel(code)} ${POLICY_URL}`);
  });

  test.each([
    ['no setting', {}],
    ['a blank setting', {privacy_policy_url: '   '}],
    ['not a full URL', {privacy_policy_url: 'acme.example/policies/privacy-policy'}],
    ['not http(s)', {privacy_policy_url: 'javascript:alert(1)'}],
  ])('no policy url: no link sentence (%s)', async (_name, settings) => {
    extension.shopify.settings.value = settings;
    const spy = successfulWrites();
    await extension.render();

    expect(shownWording()).toBe(defaultWording('en', SHOP));
    expect(shownWording()).not.toContain(privacyLabel('en'));
    expect(labelSlot()).toBeNull();
    expect(policyLinks()).toHaveLength(0);

    toggle(true);
    await waitFor(() => expect(spy).toHaveBeenCalledTimes(CONSENT_WRITES));
    expect(written(spy).ringback_consent_text).toBe(defaultWording('en', SHOP));
  });

  test('custom wording still wins over the default and its policy link', async () => {
    extension.shopify.settings.value = {
      consent_text: '{store} may call or text me. Reply STOP to opt out. Privacy: https://legal.example/p',
      privacy_policy_url: POLICY_URL,
    };
    const spy = successfulWrites();
    await extension.render();

    const expected = `${SHOP} may call or text me. Reply STOP to opt out. Privacy: https://legal.example/p`;
    expect(shownWording()).toBe(expected);
    expect(labelSlot()).toBeNull();
    expect(policyLinks()).toHaveLength(0);

    toggle(true);
    await waitFor(() => expect(spy).toHaveBeenCalledTimes(CONSENT_WRITES));
    expect(written(spy).ringback_consent_text).toBe(expected);
  });

  test('a yes given to the wording before the policy link does not tick the box', async () => {
    extension.shopify.settings.value = {privacy_policy_url: POLICY_URL};
    extension.shopify.attributes.value = [
      {key: 'ringback_consent', value: 'yes'},
      {key: 'ringback_consent_text', value: defaultWording('en', SHOP)},
    ];
    await extension.render();
    expect(isChecked(checkbox())).toBe(false);
  });

  test('a yes already given to the wording with the policy link shows ticked', async () => {
    extension.shopify.settings.value = {privacy_policy_url: POLICY_URL};
    extension.shopify.attributes.value = [
      {key: 'ringback_consent', value: 'yes'},
      {key: 'ringback_consent_text', value: defaultWordingWithPolicy('en', SHOP, POLICY_URL)},
    ];
    await extension.render();
    expect(isChecked(checkbox())).toBe(true);
  });
});

describe('phone', () => {
  test('no phone → the phone field appears', async () => {
    const spy = successfulWrites();
    await extension.render();

    // Not before the box is ticked.
    expect(phoneField()).toBeNull();

    toggle(true);
    await waitFor(() => expect(phoneField()).not.toBeNull());
    expect(prop(phoneField(), 'label')).toBe('Mobile number for calls and texts');
    await waitFor(() => expect(spy).toHaveBeenCalledTimes(CONSENT_WRITES));
    spy.mockClear();

    typePhone('  +1 (555) 010-2030 ');

    await waitFor(() =>
      expect(spy).toHaveBeenCalledWith({
        type: 'updateAttribute',
        key: 'ringback_phone',
        value: '+1 (555) 010-2030',
      }),
    );
    // change + blur of the same value write once.
    expect(spy).toHaveBeenCalledTimes(1);
    expect(prop(phoneField(), 'error')).toBeUndefined();
  });

  test('a phone changed while the previous one is saving ends with the latest', async () => {
    let release;
    const spy = vi.fn(async (change) => {
      if (change.key === 'ringback_phone' && change.value === '+1 555 010 2030') {
        await new Promise((resolve) => (release = resolve));
      }
      return createResult('applyAttributeChange');
    });
    extension.shopify.applyAttributeChange = spy;
    await extension.render();
    toggle(true);
    await waitFor(() => expect(phoneField()).not.toBeNull());
    await waitFor(() => expect(spy).toHaveBeenCalledTimes(CONSENT_WRITES));

    typePhone('+1 555 010 2030');
    await waitFor(() => expect(release).toBeDefined());
    typePhone('+1 555 010 9999');
    release();

    await waitFor(() => expect(spy).toHaveBeenCalledTimes(CONSENT_WRITES + 2));
    expect(spy.mock.calls.slice(CONSENT_WRITES).map(([c]) => c.value)).toEqual([
      '+1 555 010 2030',
      '+1 555 010 9999',
    ]);
  });

  test('an obviously invalid phone shows an error and is not written', async () => {
    const spy = successfulWrites();
    await extension.render();
    toggle(true);
    await waitFor(() => expect(phoneField()).not.toBeNull());
    await waitFor(() => expect(spy).toHaveBeenCalledTimes(CONSENT_WRITES));
    spy.mockClear();

    typePhone('call me maybe');

    await waitFor(() =>
      expect(prop(phoneField(), 'error')).toBe(
        'Enter a valid phone number: digits, spaces and an optional leading +.',
      ),
    );
    typePhone('12');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(spy).not.toHaveBeenCalled();
  });

  test('a phone in the contact field → no phone field', async () => {
    provideOptionalApis({
      buyerIdentity: {
        phone: signal('+15550102030'),
        email: signal(undefined),
        customer: signal(undefined),
        purchasingCompany: signal(undefined),
      },
    });
    successfulWrites();
    await extension.render();
    toggle(true);
    await waitFor(() => expect(isChecked(checkbox())).toBe(true));
    expect(phoneField()).toBeNull();
  });

  test('a phone in the shipping address → no phone field', async () => {
    provideOptionalApis({
      buyerIdentity: {phone: signal(''), email: signal(undefined)},
      shippingAddress: signal({countryCode: 'US', phone: '+1 555 010 2030'}),
    });
    successfulWrites();
    await extension.render();
    toggle(true);
    await waitFor(() => expect(isChecked(checkbox())).toBe(true));
    expect(phoneField()).toBeNull();
  });

  test('empty contact and shipping phones → the phone field appears', async () => {
    provideOptionalApis({
      buyerIdentity: {phone: signal(undefined), email: signal('a@example.com')},
      shippingAddress: signal({countryCode: 'US', phone: ''}),
    });
    successfulWrites();
    await extension.render();
    toggle(true);
    await waitFor(() => expect(phoneField()).not.toBeNull());
  });
});

describe('when attributes cannot be written', () => {
  test('canUpdateAttributes=false → no write and a visible explanation', async () => {
    extension.shopify.instructions.value = {
      ...extension.shopify.instructions.value,
      attributes: {canUpdateAttributes: false},
    };
    const spy = successfulWrites();
    await extension.render();

    expect(isDisabled(checkbox())).toBe(true);
    expect(isChecked(checkbox())).toBe(false);
    const [banner] = banners();
    expect(banner).toBeDefined();
    expect(banner.textContent).toBe(
      "Calls and texts about this cart can't be set up for this type of checkout, so nothing is recorded here.",
    );

    // Even if the host delivered a change event, nothing is written.
    toggle(true);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(spy).not.toHaveBeenCalled();
    await waitFor(() => expect(isChecked(checkbox())).toBe(false));
    expect(phoneField()).toBeNull();
  });

  test('applyAttributeChange error → visible error and revert', async () => {
    const spy = vi.fn().mockResolvedValue(
      createResult('applyAttributeChange', {
        type: 'error',
        message: 'Attributes cannot be updated on accelerated checkout',
      }),
    );
    extension.shopify.applyAttributeChange = spy;
    await extension.render();

    toggle(true);

    await waitFor(() => {
      const critical = banners().find((b) => prop(b, 'tone') === 'critical');
      expect(critical?.textContent).toBe(
        "We couldn't save your choice. Please try again.",
      );
    });
    expect(isChecked(checkbox())).toBe(false);
    // Stopped at the first failure: `yes` was never sent.
    expect(spy).toHaveBeenCalledTimes(1);
    expect(
      spy.mock.calls.some(([c]) => c.key === 'ringback_consent' && c.value === 'yes'),
    ).toBe(false);
    expect(phoneField()).toBeNull();
  });

  test('applyAttributeChange throwing → visible error and revert', async () => {
    let calls = 0;
    extension.shopify.applyAttributeChange = vi.fn(async () => {
      calls += 1;
      if (calls === 2) throw new Error('host went away');
      return createResult('applyAttributeChange');
    });
    await extension.render();

    toggle(true);

    await waitFor(() =>
      expect(banners().map((b) => b.textContent)).toContain(
        "We couldn't save your choice. Please try again.",
      ),
    );
    expect(isChecked(checkbox())).toBe(false);
  });

  test('a tick whose "yes" fails after the other writes landed reverts', async () => {
    const spy = vi.fn(async (change) =>
      change.key === 'ringback_consent'
        ? createResult('applyAttributeChange', {type: 'error', message: 'x'})
        : createResult('applyAttributeChange'),
    );
    extension.shopify.applyAttributeChange = spy;
    await extension.render();

    toggle(true);

    await waitFor(() => expect(spy).toHaveBeenCalledTimes(CONSENT_WRITES));
    await waitFor(() => expect(banners()).toHaveLength(1));
    expect(isChecked(checkbox())).toBe(false);
    expect(phoneField()).toBeNull();
  });

  test('a failed untick reverts to ticked and says so', async () => {
    extension.shopify.attributes.value = [
      {key: 'ringback_consent', value: 'yes'},
      {key: 'ringback_consent_text', value: defaultWording('en', SHOP)},
    ];
    extension.shopify.applyAttributeChange = vi
      .fn()
      .mockResolvedValue(
        createResult('applyAttributeChange', {type: 'error', message: 'nope'}),
      );
    await extension.render();
    expect(isChecked(checkbox())).toBe(true);

    toggle(false);

    await waitFor(() => expect(banners()).toHaveLength(1));
    expect(isChecked(checkbox())).toBe(true);
  });

  test('an untick whose "no" landed stays unticked even if a later write fails', async () => {
    extension.shopify.attributes.value = [
      {key: 'ringback_consent', value: 'yes'},
      {key: 'ringback_consent_text', value: defaultWording('en', SHOP)},
    ];
    const spy = vi.fn(async (change) =>
      change.key === 'ringback_consent'
        ? createResult('applyAttributeChange')
        : createResult('applyAttributeChange', {type: 'error', message: 'x'}),
    );
    extension.shopify.applyAttributeChange = spy;
    await extension.render();

    toggle(false);

    await waitFor(() => expect(spy).toHaveBeenCalledTimes(2));
    await waitFor(() => expect(isDisabled(checkbox())).toBe(false));
    expect(isChecked(checkbox())).toBe(false);
    expect(banners()).toHaveLength(0);
  });

  test('a failed phone write shows an error', async () => {
    let calls = 0;
    extension.shopify.applyAttributeChange = vi.fn(async () => {
      calls += 1;
      return calls <= CONSENT_WRITES
        ? createResult('applyAttributeChange')
        : createResult('applyAttributeChange', {type: 'error', message: 'x'});
    });
    await extension.render();
    toggle(true);
    await waitFor(() => expect(phoneField()).not.toBeNull());
    await waitFor(() => expect(isDisabled(checkbox())).toBe(false));

    typePhone('+44 20 7946 0958');

    await waitFor(() =>
      expect(prop(phoneField(), 'error')).toBe(
        "We couldn't save your phone number. Please try again.",
      ),
    );
  });
});

describe('locale selection', () => {
  const cases = [
    ['es', 'es-ES', 'es'],
    ['fr', 'fr-CA', 'fr'],
    ['de', 'de-DE', 'de'],
    ['en', 'en-GB', 'en'],
    ['an unsupported language falls back to English', 'pt-BR', 'en'],
  ];

  test.each(cases)('%s (%s) shows and writes the %s wording', async (_name, locale, file) => {
    extension.shopify.localization.language.value = {isoCode: locale};
    extension.shopify.localization.extensionLanguage.value = {
      isoCode: file,
    };
    extension.shopify.i18n.translate = createTranslate(locale);
    const spy = successfulWrites();
    await extension.render();

    const expected = defaultWording(file, SHOP);
    expect(shownWording()).toBe(expected);

    toggle(true);
    await waitFor(() => expect(spy).toHaveBeenCalledTimes(CONSENT_WRITES));
    expect(written(spy).ringback_consent_text).toBe(expected);
    expect(written(spy).ringback_consent_source).toBe('checkout');
  });

  test('the merchant override is used in every language', async () => {
    extension.shopify.settings.value = {consent_text: 'Custom wording for {store}.'};
    extension.shopify.i18n.translate = createTranslate('de-DE');
    await extension.render();
    expect(shownWording()).toBe('Custom wording for Acme Outdoor.');
  });
});

describe('both targets', () => {
  test('purchase.checkout.block.render renders the same block', async () => {
    const block = getExtension('purchase.checkout.block.render');
    extension.tearDown();
    block.setUp();
    try {
      block.shopify.shop.name = SHOP;
      block.shopify.i18n.translate = createTranslate('en');
      await block.render();
      expect(shownWording()).toBe(defaultWording('en', SHOP));
      expect(isChecked(checkbox())).toBe(false);
    } finally {
      block.tearDown();
      extension.setUp();
    }
  });
});
