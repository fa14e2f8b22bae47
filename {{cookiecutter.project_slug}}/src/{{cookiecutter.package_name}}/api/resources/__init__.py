"""The resources API: a sample CRUD resource to copy for your own."""
