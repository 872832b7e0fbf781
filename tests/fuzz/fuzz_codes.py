"""Coverage-guided fuzzing of the code verifier with atheris (libFuzzer).

    python tests/fuzz/fuzz_codes.py -runs=50000

Inputs are either free text or a genuine code mutated by the fuzzer's bytes. Anything
but InvalidCode, or accepting a code that is not the genuine one, is a crash.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from engine.domain.codes import VoucherPayload, sign_code, verify_code
    from engine.errors import InvalidCode

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
KEYS = {3: KEY.public_key()}
GENUINE = sign_code(VoucherPayload(3, 9, 77, 1_900_000_000), KEY)


def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    if fdp.ConsumeBool():
        text = fdp.ConsumeUnicodeNoSurrogates(600)
    else:  # a genuine code with characters replaced, inserted or cut
        chars = list(GENUINE)
        for _ in range(fdp.ConsumeIntInRange(1, 4)):
            where = fdp.ConsumeIntInRange(0, len(chars))
            what = fdp.ConsumeUnicodeNoSurrogates(1)
            if fdp.ConsumeBool() and where < len(chars):
                chars[where] = what
            else:
                chars.insert(where, what)
        text = "".join(chars)[: fdp.ConsumeIntInRange(0, 700)]
    try:
        verify_code(text, KEYS)
    except InvalidCode:
        return
    normalised = text.replace("-", "").replace(" ", "").upper()
    if normalised.translate(str.maketrans("OIL", "011")) != GENUINE.replace("-", ""):
        raise AssertionError(f"accepted a code that is not the genuine one: {text!r}")


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
