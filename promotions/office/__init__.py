"""The marketer's promotion screens in the back-office (views, forms, urls)."""
