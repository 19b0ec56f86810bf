"""The back-office surface (owners, managers, marketers): views, forms, urls, and the read helpers
only its screens use. Nothing in the loyalty core imports this package."""
