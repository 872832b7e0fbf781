-- Free an Idempotency-Key whose request was refused as bad input (a code that is not a
-- voucher's, a redemption that does not exist): that request changed nothing, so it holds
-- no key either. Only the binding of this very request is removed.
-- KEYS[1] the binding   ARGV[1] the request's digest
-- Returns 1 removed | 0 bound to nothing or to another request
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
