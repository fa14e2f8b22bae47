"""Invitations by mail (REGISTRATION=invite), managed by admins under /api/users/v1."""
