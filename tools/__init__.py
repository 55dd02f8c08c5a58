"""Repository tools run by hand or from the tests (not part of the app)."""
