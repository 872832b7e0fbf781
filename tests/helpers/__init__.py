"""What tests share: plain helpers (fixtures stay in the conftest files)."""
