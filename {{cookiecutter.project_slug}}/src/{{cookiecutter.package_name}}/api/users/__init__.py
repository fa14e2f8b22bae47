"""The users API: admins (scope users:admin) manage who can log in; auth=token only."""
