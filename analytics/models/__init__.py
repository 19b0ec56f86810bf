"""The analytics app's models; each part of the app keeps its own module here."""
