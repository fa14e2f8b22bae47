"""Your own account, beside the auth API's login (/api/auth/v1): auth=token only."""
