"""The embedded app home: verify the ID token, install on first sight, serve admin documents."""
