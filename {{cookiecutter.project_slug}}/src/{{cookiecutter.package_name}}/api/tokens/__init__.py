"""Your personal access tokens, under /api/auth/v1/tokens: auth=token only."""
