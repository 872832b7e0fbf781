-- Delete a key only while it still holds this value: a key binding of the very request
-- refused as bad input (another request may have bound the key since), or a lock of the
-- very holder letting go (another may hold it after it expired).
-- KEYS[1] the key   ARGV[1] the value it must hold
-- Returns 1 deleted | 0 it holds something else, or nothing
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
