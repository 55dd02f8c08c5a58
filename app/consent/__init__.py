"""Consent: the append-only ledger of what shoppers agreed to, and the do-not-contact list.

`ledger` records what checkout and order webhooks carry, `queries` answers "may we call or text
this number?", `suppression` keeps opt-outs, `api` shows the ledger to the merchant.
"""
