"""Back-office screens. main: dashboard, program, customers, receipts, stores, staff, API keys, audit;
tiers: the tier ladder and a customer's tier override."""
