import {describe, expect, test} from 'vitest';

import {
  ATTR,
  attributeValue,
  checkPhone,
  consentAttributeChanges,
  consentCommitted,
  hasCheckoutPhone,
  initialConsent,
  isoUtc,
  normalizeWording,
  phoneAttributeChange,
  resolveConsentText,
  resolveConsentWording,
  resolvePrivacyPolicyUrl,
  resolveStoreName,
  SOURCE,
} from '../src/consent.js';
import {applyAttributeChanges, canUpdateAttributes, checkoutPhones} from '../src/checkout-api.js';
import {
  createTranslate,
  defaultWording,
  defaultWordingWithPolicy,
  loadLocales,
  ISO_UTC,
  privacyLabel,
} from './helpers.js';

const POLICY_URL = 'https://acme.example/policies/privacy-policy';

describe('default wording content', () => {
  const store = 'Acme Outdoor';

  test('English names the store, the AI assistant, recording, no purchase condition, rates and STOP', () => {
    const text = defaultWording('en', store);
    expect(text).toContain(store);
    expect(text).toMatch(/automated AI assistant/);
    expect(text).toMatch(/call or text/);
    expect(text).toMatch(/Calls may be recorded/);
    expect(text).toMatch(/not a condition of purchase/);
    expect(text).toMatch(/Msg & data rates may apply/);
    expect(text).toMatch(/Reply STOP to opt out/);
    expect(text).toMatch(/say "stop" or press 9/);
  });

  test.each([
    ['es', /asistente automatizado de IA/, /grabadas/, /no es una condición de compra/, /tarifas por mensajes y datos/],
    ['fr', /assistant automatisé utilisant l'IA/, /enregistrés/, /n'est pas une condition d'achat/, /frais de messagerie et de données/],
    ['de', /automatisierten KI-Assistenten/, /aufgezeichnet/, /keine Voraussetzung für einen Kauf/, /Gebühren für Nachrichten und Daten/],
  ])('%s covers the same points', (code, ai, recorded, condition, rates) => {
    const text = defaultWording(code, store);
    expect(text).toContain(store);
    expect(text).toMatch(ai);
    expect(text).toMatch(recorded);
    expect(text).toMatch(condition);
    expect(text).toMatch(rates);
    expect(text).toContain('STOP');
    expect(text).toContain('"stop"');
    expect(text).toMatch(/\b9\b/);
  });

  // CTIA messaging principles, as A2P 10DLC campaign review reads them: the
  // opt-in says how often messages come, that carrier rates may apply, and
  // the HELP and STOP keywords (kept in English: the SMS keywords handled).
  test.each([
    ['en', /Message frequency varies\./, /Msg & data rates may apply\./, /Reply HELP for help\./, /Reply STOP to opt out/, 'Privacy policy:'],
    ['es', /La frecuencia de los mensajes varía\./, /Pueden aplicarse tarifas por mensajes y datos\./, /Responde HELP para obtener ayuda\./, /Responde STOP para darte de baja/, 'Política de privacidad:'],
    ['fr', /La fréquence des messages varie\./, /Des frais de messagerie et de données peuvent s'appliquer\./, /Répondez HELP pour obtenir de l'aide\./, /Répondez STOP pour vous désinscrire/, 'Politique de confidentialité :'],
    ['de', /Die Häufigkeit der Nachrichten variiert\./, /Es können Gebühren für Nachrichten und Daten anfallen\./, /mit HELP antworten\./, /mit STOP antworten/, 'Datenschutzerklärung:'],
  ])(
    'default wording says message frequency varies, HELP, STOP and rates in every language (%s)',
    (code, frequency, rates, help, stop, label) => {
      const text = defaultWording(code, store);
      expect(text).toMatch(frequency);
      expect(text).toMatch(rates);
      expect(text).toMatch(help);
      expect(text).toMatch(stop);
      // The privacy policy sentence is its own locale key, so it can be left out.
      expect(text).not.toContain(label);
      expect(privacyLabel(code)).toBe(label);
    },
  );

  test('every locale has the same keys as the default locale', () => {
    const locales = loadLocales();
    const keys = (obj, prefix = '') =>
      Object.entries(obj).flatMap(([k, v]) =>
        typeof v === 'object' ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`],
      );
    const expected = keys(locales.en.data).sort();
    for (const code of ['es', 'fr', 'de']) {
      expect(keys(locales[code].data).sort(), code).toEqual(expected);
    }
    expect(locales.en.isDefault).toBe(true);
  });
});

describe('resolveConsentText', () => {
  const translate = createTranslate('en');

  test('uses the translated default with the store name', () => {
    expect(resolveConsentText({override: undefined, storeName: 'Shop A', translate})).toBe(
      defaultWording('en', 'Shop A'),
    );
  });

  test('an override replaces every {store} and collapses whitespace', () => {
    expect(
      resolveConsentText({
        override: ' {store} may call me.\n\n{store} may text me. ',
        storeName: 'Shop A',
        translate,
      }),
    ).toBe('Shop A may call me. Shop A may text me.');
  });

  test('a non-string or blank override is ignored', () => {
    for (const override of [undefined, null, 42, true, '', '  \n ']) {
      expect(resolveConsentText({override, storeName: 'S', translate})).toBe(
        defaultWording('en', 'S'),
      );
    }
  });

  test('store name: setting wins over the shop name', () => {
    expect(resolveStoreName('  Legal Name Inc. ', 'Shop')).toBe('Legal Name Inc.');
    expect(resolveStoreName('', 'Shop')).toBe('Shop');
    expect(resolveStoreName(undefined, ' Shop ')).toBe('Shop');
  });

  test('normalizeWording', () => {
    expect(normalizeWording('  a \n\t b  ')).toBe('a b');
    expect(normalizeWording(undefined)).toBe('');
  });
});

describe('privacy policy link', () => {
  test('wording links the privacy policy and the attribute carries its URL', () => {
    for (const code of ['en', 'es', 'fr', 'de']) {
      const wording = resolveConsentWording({
        override: undefined,
        storeName: 'Shop A',
        translate: createTranslate(code),
        privacyPolicyUrl: `  ${POLICY_URL} `,
      });
      expect(wording.text, code).toBe(defaultWordingWithPolicy(code, 'Shop A', POLICY_URL));
      expect(wording.text.endsWith(`${privacyLabel(code)} ${POLICY_URL}`), code).toBe(true);
      expect(wording.body, code).toBe(defaultWording(code, 'Shop A'));
      expect(wording.privacy, code).toEqual({label: privacyLabel(code), url: POLICY_URL});
      // What the box records is the whole wording, URL in plain text.
      const [, written] = consentAttributeChanges({consented: true, text: wording.text, at: new Date()});
      expect(written).toEqual({type: 'updateAttribute', key: 'ringback_consent_text', value: wording.text});
    }
  });

  test('no policy url: no link sentence', () => {
    const translate = createTranslate('en');
    for (const privacyPolicyUrl of [
      undefined,
      null,
      42,
      '',
      '   ',
      'acme.example/policies/privacy-policy',
      '/policies/privacy-policy',
      'javascript:alert(1)',
      'mailto:privacy@acme.example',
      'https://',
      'https://acme.example/privacy policy',
    ]) {
      const wording = resolveConsentWording({override: '', storeName: 'S', translate, privacyPolicyUrl});
      expect(wording, String(privacyPolicyUrl)).toEqual({
        text: defaultWording('en', 'S'),
        body: defaultWording('en', 'S'),
        privacy: null,
      });
      expect(wording.text).not.toContain(privacyLabel('en'));
    }
  });

  test('custom wording still wins, without a policy sentence added', () => {
    const wording = resolveConsentWording({
      override: '{store} may text me. Reply STOP to opt out. Privacy: https://legal.example/p',
      storeName: 'Shop A',
      translate: createTranslate('en'),
      privacyPolicyUrl: POLICY_URL,
    });
    expect(wording).toEqual({
      text: 'Shop A may text me. Reply STOP to opt out. Privacy: https://legal.example/p',
      body: 'Shop A may text me. Reply STOP to opt out. Privacy: https://legal.example/p',
      privacy: null,
    });
  });

  test('resolvePrivacyPolicyUrl keeps an absolute http(s) URL as typed, trimmed', () => {
    expect(resolvePrivacyPolicyUrl(' https://acme.example/policies/privacy-policy ')).toBe(POLICY_URL);
    expect(resolvePrivacyPolicyUrl('HTTP://acme.example/privacy?lang=de#top')).toBe(
      'HTTP://acme.example/privacy?lang=de#top',
    );
    expect(resolvePrivacyPolicyUrl('ftp://acme.example/privacy')).toBe('');
  });

  test('resolveConsentText is the wording as one string', () => {
    expect(
      resolveConsentText({storeName: 'S', translate: createTranslate('fr'), privacyPolicyUrl: POLICY_URL}),
    ).toBe(defaultWordingWithPolicy('fr', 'S', POLICY_URL));
  });
});

describe('attribute changes', () => {
  const at = new Date('2026-11-22T13:05:09.123Z');

  test('tick: source, wording, time, then yes', () => {
    expect(consentAttributeChanges({consented: true, text: 'T', at})).toEqual([
      {type: 'updateAttribute', key: 'ringback_consent_source', value: 'checkout'},
      {type: 'updateAttribute', key: 'ringback_consent_text', value: 'T'},
      {type: 'updateAttribute', key: 'ringback_consent_at', value: '2026-11-22T13:05:09.123Z'},
      {type: 'updateAttribute', key: 'ringback_consent', value: 'yes'},
    ]);
  });

  test('untick: no first', () => {
    const changes = consentAttributeChanges({consented: false, text: 'T', at});
    expect(changes[0]).toEqual({type: 'updateAttribute', key: 'ringback_consent', value: 'no'});
    expect(changes.map((c) => c.key)).toEqual([
      'ringback_consent',
      'ringback_consent_at',
      'ringback_consent_text',
      'ringback_consent_source',
    ]);
    expect(changes.at(-1)).toEqual({
      type: 'updateAttribute',
      key: 'ringback_consent_source',
      value: 'checkout',
    });
  });

  test('the checkout extension marks itself as the source', () => {
    expect(ATTR.source).toBe('ringback_consent_source');
    expect(SOURCE).toBe('checkout');
    for (const consented of [true, false]) {
      const sources = consentAttributeChanges({consented, text: 'T', at}).filter(
        (c) => c.key === 'ringback_consent_source',
      );
      expect(sources).toEqual([
        {type: 'updateAttribute', key: 'ringback_consent_source', value: 'checkout'},
      ]);
    }
  });

  test('isoUtc is ISO-8601 in UTC', () => {
    expect(isoUtc(at)).toBe('2026-11-22T13:05:09.123Z');
    expect(isoUtc()).toMatch(ISO_UTC);
  });

  test('phone change: update, or remove when blank', () => {
    expect(phoneAttributeChange('+1 555')).toEqual({
      type: 'updateAttribute',
      key: 'ringback_phone',
      value: '+1 555',
    });
    expect(phoneAttributeChange('')).toEqual({type: 'removeAttribute', key: 'ringback_phone'});
  });

  test('applyAttributeChanges stops at the first error', async () => {
    const seen = [];
    const api = {
      applyAttributeChange: async (change) => {
        seen.push(change.key);
        return change.key === 'b' ? {type: 'error', message: 'x'} : {type: 'success'};
      },
    };
    const result = await applyAttributeChanges(api, [{key: 'a'}, {key: 'b'}, {key: 'c'}]);
    expect(result).toEqual({ok: false, applied: 1});
    expect(seen).toEqual(['a', 'b']);
    expect(await applyAttributeChanges(api, [{key: 'a'}, {key: 'c'}])).toEqual({ok: true, applied: 2});
  });

  test('applyAttributeChanges treats a throw or no result as failure', async () => {
    expect(
      await applyAttributeChanges(
        {applyAttributeChange: async () => {
          throw new Error('boom');
        }},
        [{key: 'a'}],
      ),
    ).toEqual({ok: false, applied: 0});
    expect(
      await applyAttributeChanges({applyAttributeChange: async () => undefined}, [{key: 'a'}]),
    ).toEqual({ok: false, applied: 0});
  });

  test('consentCommitted: tick needs all four, untick only the first', () => {
    const tick = consentAttributeChanges({consented: true, text: 'T', at: new Date()});
    const untick = consentAttributeChanges({consented: false, text: 'T', at: new Date()});
    expect([0, 1, 2, 3, 4].map((n) => consentCommitted(tick, n))).toEqual([
      false,
      false,
      false,
      false,
      true,
    ]);
    expect([0, 1, 2, 3, 4].map((n) => consentCommitted(untick, n))).toEqual([
      false,
      true,
      true,
      true,
      true,
    ]);
  });
});

describe('checkPhone', () => {
  test.each([
    '+1 555 010 2030',
    '(555) 010-2030',
    '+44 20 7946 0958',
    '030.1234.5678',
    '+491701234567',
    '5550102',
  ])('accepts %s as typed', (value) => {
    expect(checkPhone(`  ${value} `)).toEqual({ok: true, value});
  });

  test.each([
    ['call me', 'characters'],
    ['555-CALL-NOW', 'characters'],
    ['+1 555 +010', 'characters'],
    ['1+555 0102030', 'characters'],
    ['12345', 'too_short'],
    ['+1 2345 6789 0123 4567', 'too_long'],
  ])('rejects %s (%s)', (value, reason) => {
    expect(checkPhone(value)).toMatchObject({ok: false, reason});
  });

  test('empty is valid and means "no phone"', () => {
    expect(checkPhone('   ')).toEqual({ok: true, value: ''});
  });
});

describe('checkout state', () => {
  test('hasCheckoutPhone', () => {
    expect(hasCheckoutPhone({buyerPhone: '+1555', shippingPhone: undefined})).toBe(true);
    expect(hasCheckoutPhone({buyerPhone: '', shippingPhone: '+1555'})).toBe(true);
    expect(hasCheckoutPhone({buyerPhone: undefined, shippingPhone: '  '})).toBe(false);
  });

  test('checkoutPhones tolerates missing protected-data APIs', () => {
    const strict = new Proxy(
      {},
      {
        get(_t, p) {
          throw new Error(`no ${String(p)}`);
        },
        has: () => false,
      },
    );
    expect(checkoutPhones(strict)).toEqual({buyerPhone: undefined, shippingPhone: undefined});
  });

  test('canUpdateAttributes defaults to allowed only when the instruction is absent', () => {
    expect(canUpdateAttributes({instructions: {value: {attributes: {canUpdateAttributes: false}}}})).toBe(false);
    expect(canUpdateAttributes({instructions: {value: {attributes: {canUpdateAttributes: true}}}})).toBe(true);
    expect(canUpdateAttributes({})).toBe(true);
  });

  test('initialConsent needs yes for the same wording', () => {
    const attrs = [
      {key: 'ringback_consent', value: 'yes'},
      {key: 'ringback_consent_text', value: 'Wording  A'},
    ];
    expect(initialConsent(attrs, 'Wording A')).toBe(true);
    expect(initialConsent(attrs, 'Wording B')).toBe(false);
    expect(initialConsent([{key: 'ringback_consent', value: 'no'}], 'Wording A')).toBe(false);
    expect(initialConsent(undefined, 'x')).toBe(false);
    expect(attributeValue([{key: 'k', value: 'v'}], 'k')).toBe('v');
  });
});
