"""The customer portal surface (/my/<merchant>/): views, forms, urls. Nothing in the loyalty core
imports this package."""
