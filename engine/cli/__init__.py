"""The `nuanxin` command."""
