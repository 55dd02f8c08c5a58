/** @jsxImportSource preact */
import {useRef, useState} from 'preact/hooks';

import {
  ATTR,
  attributeValue,
  checkPhone,
  consentAttributeChanges,
  consentCommitted,
  hasCheckoutPhone,
  initialConsent,
  phoneAttributeChange,
  resolveConsentWording,
  resolveStoreName,
} from './consent.js';
import {
  applyAttributeChanges,
  canUpdateAttributes,
  cartAttributes,
  checkoutPhones,
  extensionSettings,
  shopName,
} from './checkout-api.js';

/**
 * Consent checkbox for calls and texts from the store's AI assistant.
 * `api` is the `shopify` global of the extension target.
 */
export function ConsentBlock({api}) {
  const translate = (key, options) => api.i18n.translate(key, options);

  const settings = extensionSettings(api);
  const storeName = resolveStoreName(settings.store_name, shopName(api));
  const {
    text: wording,
    body,
    privacy,
  } = resolveConsentWording({
    override: settings.consent_text,
    storeName,
    translate,
    privacyPolicyUrl: settings.privacy_policy_url,
  });
  const writable = canUpdateAttributes(api);
  const attributes = cartAttributes(api);
  const needsPhone = !hasCheckoutPhone(checkoutPhones(api));

  const [checked, setChecked] = useState(() =>
    initialConsent(attributes, wording),
  );
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState('');
  const [phone, setPhone] = useState(
    () => attributeValue(attributes, ATTR.phone) ?? '',
  );
  const [phoneError, setPhoneError] = useState('');
  const savedPhone = useRef(attributeValue(attributes, ATTR.phone) ?? '');
  const wantedPhone = useRef(savedPhone.current);
  const savingPhone = useRef(false);
  const [, rerender] = useState(0);

  async function handleConsentChange(event) {
    const next = Boolean(event.currentTarget.checked);
    if (!writable || saving) {
      // Nothing may be written now: re-render so the box shows the state
      // that is actually recorded.
      rerender((n) => n + 1);
      return;
    }
    setError('');
    setChecked(next);
    setSaving(true);
    const changes = consentAttributeChanges({
      consented: next,
      text: wording,
      at: new Date(),
    });
    const {applied} = await applyAttributeChanges(api, changes);
    setSaving(false);
    // The box shows what `ringback_consent` holds: a tick that did not reach
    // `yes` is undone; an untick whose `no` landed stays unticked.
    if (!consentCommitted(changes, applied)) {
      setChecked(!next);
      setError(translate('consent.save_error'));
    }
  }

  async function commitPhone(event) {
    const typed = event.currentTarget.value ?? '';
    setPhone(typed);
    const result = checkPhone(typed);
    if (!result.ok) {
      setPhoneError(translate('consent.phone_invalid'));
      return;
    }
    setPhoneError('');
    // Save the latest valid value; values typed during a save follow it.
    wantedPhone.current = result.value;
    if (savingPhone.current) return;
    savingPhone.current = true;
    while (wantedPhone.current !== savedPhone.current) {
      const value = wantedPhone.current;
      const {ok} = await applyAttributeChanges(api, [
        phoneAttributeChange(value),
      ]);
      if (!ok) {
        setPhoneError(translate('consent.phone_save_error'));
        wantedPhone.current = savedPhone.current;
        break;
      }
      savedPhone.current = value;
    }
    savingPhone.current = false;
  }

  return (
    <s-stack gap="base">
      <s-checkbox
        name={ATTR.consent}
        label={wording}
        checked={checked}
        disabled={!writable || saving}
        onChange={handleConsentChange}
      >
        {privacy ? (
          // Rich label: the same words as `label`, with the URL as a link
          // (the label slot takes an s-text holding text and s-link only).
          <s-text slot="label">
            {`${body} ${privacy.label} `}
            <s-link href={privacy.url} target="_blank">
              {privacy.url}
            </s-link>
          </s-text>
        ) : null}
      </s-checkbox>
      {writable ? null : (
        <s-banner tone="info">
          <s-text>{translate('consent.unavailable')}</s-text>
        </s-banner>
      )}
      {error ? (
        <s-banner tone="critical">
          <s-text>{error}</s-text>
        </s-banner>
      ) : null}
      {checked && writable && needsPhone ? (
        <s-phone-field
          name={ATTR.phone}
          label={translate('consent.phone_label')}
          value={phone}
          error={phoneError || undefined}
          onChange={commitPhone}
          onBlur={commitPhone}
        />
      ) : null}
    </s-stack>
  );
}
