"""Shops: installation state, Admin API tokens and merchant settings."""
