"""The referrals app's reads, one module per part of the app; every selector is scoped by merchant."""
