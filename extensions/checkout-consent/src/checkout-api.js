// Thin, defensive readers over the `shopify` global of a checkout UI
// extension. Optional APIs (buyerIdentity, shippingAddress) only exist when
// the app has access to protected customer data, so every read is guarded.

function safely(read) {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** Whether this checkout lets extensions write cart attributes. */
export function canUpdateAttributes(api) {
  const allowed = safely(
    () => api.instructions.value.attributes.canUpdateAttributes,
  );
  // Older hosts without the instruction behave as "allowed"; a write that
  // fails anyway is reported to the buyer by the component.
  return allowed !== false;
}

/** The phone numbers the checkout already has (contact and shipping). */
export function checkoutPhones(api) {
  const buyerPhone = safely(() =>
    'buyerIdentity' in api ? api.buyerIdentity?.phone?.value : undefined,
  );
  const shippingPhone = safely(() =>
    'shippingAddress' in api ? api.shippingAddress?.value?.phone : undefined,
  );
  return {buyerPhone, shippingPhone};
}

/** Merchant settings from `[extensions.settings]` (may be empty in the editor). */
export function extensionSettings(api) {
  // A plain copy: reading a key the merchant never set gives undefined.
  return {...(safely(() => api.settings.value) ?? {})};
}

/** The current cart attributes. */
export function cartAttributes(api) {
  return safely(() => api.attributes.value) ?? [];
}

export function shopName(api) {
  return safely(() => api.shop.name) ?? '';
}

/**
 * Applies attribute changes one at a time (the API takes one per call) and
 * stops at the first `{type: 'error'}` result or thrown error.
 *
 * @returns {Promise<{ok: boolean, applied: number}>} `applied` is how many
 *   changes, from the first, were applied.
 */
export async function applyAttributeChanges(api, changes) {
  let applied = 0;
  for (const change of changes) {
    let result;
    try {
      result = await api.applyAttributeChange(change);
    } catch {
      return {ok: false, applied};
    }
    if (!result || result.type !== 'success') return {ok: false, applied};
    applied += 1;
  }
  return {ok: true, applied};
}
