"""Every write to the loyalty core. Other apps call these, never the models directly.

ledger: locking, credits, debits, adjustments, expiry and activation.
customers: joining the program (the customer plus the welcome bonus).
receipts: commit and refund through the checkout pipeline.
program: program settings.
"""
from loyalty.services.customers import customer_join, customer_join_from_code  # noqa: F401
from loyalty.services.ledger import (  # noqa: F401
    account_lock,
    points_activate,
    points_adjust,
    points_credit,
    points_debit,
    points_earn,
    points_expire,
)
from loyalty.services.program import program_create, program_update  # noqa: F401
from loyalty.services.receipts import receipt_calculate, receipt_commit, receipt_refund  # noqa: F401
