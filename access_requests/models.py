"""Subject-access requests (issue 4)."""
