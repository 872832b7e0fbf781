"""Nuanxin voucher engine: claim, issue and redeem union benefit vouchers."""
