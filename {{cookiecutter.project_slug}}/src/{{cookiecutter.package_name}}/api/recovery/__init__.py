"""Codes sent by mail, under /api/auth/v1: reset a forgotten password, verify an address."""
