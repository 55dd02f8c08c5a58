"""Everything that talks to Shopify: request verification, install, tokens, Admin GraphQL, webhooks."""
