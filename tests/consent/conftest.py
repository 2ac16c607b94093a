"""The consent tests use the named people of tests/conftest.py (the Lead's and Deputy's accounts
have ``is_staff``, as records.services.create_staff gives them, so they can enter the admin
screen where the Lead approves sharing decisions)."""
