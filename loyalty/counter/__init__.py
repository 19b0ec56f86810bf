"""The counter surface (cashiers at the till): views, forms (what the sale and return forms send),
stores (which store a till records in), urls. Nothing in the loyalty core imports this package."""
