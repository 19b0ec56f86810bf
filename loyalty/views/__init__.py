"""Server-rendered screens: office (back-office), counter (cashiers), portal (customers)."""
