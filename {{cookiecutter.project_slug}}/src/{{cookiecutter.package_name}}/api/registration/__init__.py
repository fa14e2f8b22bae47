"""Ways in by mail, under /api/auth/v1: sign up (REGISTRATION=open), accept an invitation."""
