"""Recovery engine: checkout intake, the contact policy, scheduling on RQ, and attribution."""
