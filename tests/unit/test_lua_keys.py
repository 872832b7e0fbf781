"""Every key a Lua script touches is one it was given in KEYS: a script that built a key
itself would reach a slot the cluster did not route it to. (That the keys given to one
run share a slot is checked at run time, on every run of the test suite: the test
stacks set NUANXIN_REDIS_CHECK_SLOTS, and tests/integration/test_redis_scripts.py shows
the check refusing a run that spans slots.)"""

from __future__ import annotations

import re
from importlib import resources

import pytest

from engine.adapters.redis.connection import SCRIPT_NAMES

LUA = resources.files("engine.adapters.redis") / "lua"
CALL = re.compile(r"redis\.call\('([A-Z]+)',\s*([^,)]+)")


def keys_touched(source: str) -> list[tuple[str, str]]:
    return [(command, key.strip()) for command, key in CALL.findall(source)]


@pytest.mark.parametrize("name", SCRIPT_NAMES)
def test_every_key_a_script_touches_was_given_to_it(name):
    source = (LUA / f"{name}.lua").read_text()
    loop_names = set(re.findall(r"for\s+\w+,\s*(\w+)\s+in\s+ipairs\(KEYS\)", source))
    # `for k = 3, #KEYS do ... KEYS[k]`: an index that only walks the keys given; with a
    # step of 2 (`for k = 3, #KEYS, 2`), KEYS[k + 1] is the pair's second key, given too.
    walks = re.findall(r"for\s+(\w+)\s*=\s*\d+,\s*#KEYS(,\s*2)?\s+do", source)
    given = {f"KEYS[{i}]" for i, _ in walks} | {f"KEYS[{i} + 1]" for i, pair in walks if pair}
    touched = keys_touched(source)
    assert touched, f"{name}.lua touches no key?"
    for command, key in touched:
        assert re.fullmatch(r"KEYS\[\d+\]", key) or key in loop_names | given, (
            name,
            command,
            key,
        )


def test_the_check_sees_a_key_built_inside_a_script():
    built = "local k = 'nx:' .. ARGV[1]\nredis.call('GET', k)"
    assert keys_touched(built) == [("GET", "k")]
