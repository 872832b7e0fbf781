"""Each operation's `operationId`: short, stable, camelCase, the names generated clients
give their methods. A route missing here fails app creation, so a new one is named on
purpose; once published, an id does not change (schemas/CHANGELOG.md)."""

from __future__ import annotations

from fastapi.routing import APIRoute

OPERATION_IDS = {
    "healthz": "getHealth",
    "create_campaign": "createCampaign",
    "get_campaign": "getCampaign",
    "change_campaign": "updateCampaign",
    "claim": "createClaim",
    "lottery": "getLottery",
    "lottery_commit": "commitLottery",
    "lottery_draw": "drawLottery",
    "enrol_merchant": "enrolMerchant",
    "unenrol_merchant": "unenrolMerchant",
    "import_pool": "importPartnerCodes",
    "register": "registerForLottery",
    "set_status": "setCampaignStatus",
    "create_cap_group": "createCapGroup",
    "get_claim": "getClaim",
    "verify": "verifyCode",
    "public_keys": "listPublicKeys",
    "rotate_own_key": "rotateOwnKey",
    "my_vouchers": "listMyVouchers",
    "my_voucher_qr": "getMyVoucherQr",
    "my_programmes": "listMyProgrammes",
    "my_redemptions": "listMyRedemptions",
    "create_merchant": "createMerchant",
    "list_keys": "listMerchantKeys",
    "issue_key": "createMerchantKey",
    "revoke_key": "revokeMerchantKey",
    "settlements": "listSettlements",
    "settlements_csv": "getSettlementsCsv",
    "settlements_manifest": "getSettlementsManifest",
    "add_store": "createStore",
    "delete_webhook": "deleteWebhook",
    "set_webhook": "setWebhook",
    "webhook_deliveries": "listWebhookDeliveries",
    "audit_log": "listAuditEntries",
    "campaign_stats": "getCampaignStats",
    "campaign_windows": "getCampaignWindows",
    "code_history": "getCodeHistory",
    "list_ops_credentials": "listOpsCredentials",
    "create_ops_credential": "createOpsCredential",
    "revoke_ops_credential": "revokeOpsCredential",
    "overview": "getOverview",
    "revoke_voucher": "revokeVoucher",
    "worker_history": "getWorkerHistory",
    "redeem": "redeemCode",
    "redeem_offline": "redeemOfflineBatch",
    "reverse": "reverseRedemption",
    "register_worker": "createWorker",
    "register_workers": "createWorkers",
    "import_workers": "importWorkers",
    "mint_token": "createWorkerToken",
    "revoke_tokens": "revokeWorkerTokens",
    "define_stations": "defineStations",
    "station_figures": "getStationFigures",
    "move_stock": "moveStationStock",
    "close_station": "closeStation",
    "stations_to_choose": "listStationsToChoose",
    "choose_station": "chooseStation",
    "define_slots": "defineSlots",
    "slot_fill": "getSlotFill",
    "slots_to_book": "listSlotsToBook",
    "cancel_booking": "cancelBooking",
    "prepare_payout_batch": "preparePayoutBatch",
    "get_payout_batch": "getPayoutBatch",
    "approve_payout_batch": "approvePayoutBatch",
    "payment_file": "getPaymentFile",
    "import_bank_result": "importBankResult",
    "retry_payout": "retryPayout",
    "cancel_payout": "cancelPayout",
    "payout_totals": "getPayoutTotals",
    "payer_statement": "getPayerStatement",
    "payer_statement_csv": "getPayerStatementCsv",
}


def operation_id(route: APIRoute) -> str:
    if not route.include_in_schema:
        return route.name  # the pages: not operations of the API
    if route.name not in OPERATION_IDS:
        raise KeyError(f"route {route.name} ({route.path}) has no operationId in {__name__}")
    return OPERATION_IDS[route.name]
