"""The greeting API, served in two versions side by side."""
