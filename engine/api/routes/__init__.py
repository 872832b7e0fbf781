"""Routes grouped by who calls them."""
