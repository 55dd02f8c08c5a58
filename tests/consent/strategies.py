"""Hypothesis strategies for junk checkout payloads (shaped enough to reach every parser branch)."""

from hypothesis import strategies as st

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children,
                                                                      max_size=3),
    max_leaves=10,
)
attribute_names = st.sampled_from([
    "ringback_consent", "ringback_consent_text", "ringback_consent_at", "ringback_phone",
    "ringback_consent_source", " RINGBACK_CONSENT ",
]) | json_values
attribute_values = st.sampled_from([
    "yes", "no", " YES ", "maybe", "", "cart", "checkout", "2026-11-20T15:04:05Z",
    "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", "+12015550123", "07911 123456",
    "+999 1", "x" * 300,
]) | json_values
phone_values = st.sampled_from(["+12015550123", "(201) 555-0123", "+447911123456", "12", ""]) | json_values
addresses = st.fixed_dictionaries({}, optional={
    "phone": phone_values, "country_code": st.sampled_from(["US", "GB", "XX", ""]) | json_values,
}) | st.just([]) | json_values
note_attributes = (
    st.lists(st.fixed_dictionaries({"name": attribute_names, "value": attribute_values}) | json_values,
             max_size=6)
    | st.dictionaries(st.text(max_size=25), attribute_values, max_size=4)
    | json_values
)
payloads = st.fixed_dictionaries({}, optional={
    "id": json_values, "token": json_values, "checkout_token": json_values, "checkout_id": json_values,
    "email": st.sampled_from(["a@b.co", "x" * 400 + "@b.co"]) | json_values,
    "phone": phone_values, "buyer_accepts_sms_marketing": json_values,
    "sms_marketing_phone": phone_values, "updated_at": attribute_values,
    "shipping_address": addresses, "billing_address": addresses,
    "customer": st.fixed_dictionaries({}, optional={"phone": phone_values, "email": json_values})
    | json_values,
    "note_attributes": note_attributes,
}) | json_values
topics = st.sampled_from(["checkouts/create", "checkouts/update", "orders/create"])
