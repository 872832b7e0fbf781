// The types openapi-typescript generates from schemas/openapi.json, used as an app would:
// tsc --noEmit fails if an operation's answer were untyped or a field renamed.
import type { components, operations, paths } from "./generated/schema";

type Json<T> = T extends { content: { "application/json": infer B } } ? B : never;
type Answer<P extends keyof paths, M extends keyof paths[P], S extends number> =
  paths[P][M] extends { responses: infer R } ? (S extends keyof R ? Json<R[S]> : never) : never;

type Claim = Answer<"/v1/campaigns/{campaign_id}/claims", "post", 201>;
type ClaimStatus = Answer<"/v1/claims/{claim_id}", "get", 200>;
type Verified = Answer<"/v1/codes/verify", "post", 200>;
type Redeemed = Answer<"/v1/redemptions", "post", 201>;
type Programmes = Answer<"/v1/me/programmes", "get", 200>;
type Day = Answer<"/v1/me/redemptions", "get", 200>;
type Problem = components["schemas"]["Problem"];

export function codeOf(status: ClaimStatus): string | null {
  return status.status === "issued" && status.voucher ? status.voucher.code : null;
}

export function canRedeem(v: Verified): boolean {
  return v.genuine && v.redeemable && v.reason === null;
}

export function receipt(r: Redeemed): string {
  return `${r.redemption_id}: ${r.amount_fen} of ${r.face_value_fen}, ${r.balance_fen} left`;
}

export function claimable(p: Programmes): string[] {
  return p.programmes.filter((x) => x.claimable).map((x) => x.name_en ?? x.name);
}

export function reversible(d: Day, now: Date): string[] {
  return d.redemptions
    .filter((x) => x.amount_fen > x.reversed_fen && new Date(x.reversible_until) > now)
    .map((x) => x.redemption_id);
}

// A discount voucher (5折, 满减, free): what a till shows before asking for the order.
export function terms(d: NonNullable<Verified["discount"]>): string {
  switch (d.kind) {
    case "percent_off":
      return `${d.percent}% off, at most ${d.cap_fen} fen`;
    case "threshold":
      return d.tiers.map((t) => `${t.off_fen} off ${t.min_order_fen}`).join("; ");
    case "free":
      return `free up to ${d.cap_fen} fen`;
  }
}

export function toPay(r: Redeemed): number | null {
  return r.to_pay_fen ?? null;
}

export const metroHalf: components["schemas"]["PercentOffTerms"] = { kind: "percent_off", percent: 50, cap_fen: 300 };
// @ts-expect-error a tier is a minimum order and an amount off, in fen
export const badTier: components["schemas"]["ThresholdTerms"] = { kind: "threshold", tiers: [100] };

export function slug(p: Problem): string {
  return p.type.split("/").pop() ?? p.type;
}

export const claimed: Claim = { claim_id: "c.1", status: "admitted" };
// @ts-expect-error a claim's status is a closed set
export const wrong: Claim = { claim_id: "c.1", status: "maybe" };
// The claim's body is required: a generated client always sends one.
export type ClaimBody = operations["createClaim"]["requestBody"] extends { content: infer C } ? C : never;
// @ts-expect-error the Idempotency-Key header is required
export const noKey: operations["redeemCode"]["parameters"]["header"] = {};
