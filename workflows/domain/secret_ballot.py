"""The council's secret ballot, cryptographic core: officer keys, the round key, encrypted ballots, the box.

Pure computation over bytes (no database, no web): the services store what these functions return.
Primitives come from libraries, never from here: Paillier from ``phe`` (with ``gmpy2``), Curve25519
sealed boxes, XSalsa20-Poly1305 and Argon2id from ``PyNaCl`` (libsodium). The glue below only uses
their own functions.

Threat model:
- Anyone with the database may read the ciphertexts, the round's public key and the private round key
  sealed to each officer. Reading them teaches nothing about a choice (Paillier is semantically secure;
  ``encrypt_ballot`` draws fresh randomness per entry), and a copy taken before and after a vote differs
  only by one more ciphertext.
- Only an officer's passphrase opens the round key: the officer's Curve25519 private key is kept only
  sealed under a key derived from the passphrase with Argon2id, so a database reader must guess the
  passphrase offline, each guess costing the Argon2id limits stored with it. The secretariat that opens a
  round holds only public keys and can never decrypt.
- The chair or the vice-chair alone, once the round key is open, *could* decrypt a single ballot, not just
  the totals: single-key Paillier has no threshold decryption. This module only ever decrypts totals;
  keeping officers from decrypting one ballot rests on procedure (and on ballots not carrying the member).
- The web process that encrypts a member's choices is trusted while it serves that request (it sees the
  choices in clear and draws the randomness).
- There is no ballot-validity proof: a process that could write the database could add a ballot that
  encrypts 2 (or n - 1, a "minus one") and its tally would still verify, if it also adjusted the chain. The
  box's hash chain, the number of ballots against the number who voted, and the receipts members keep
  (each ballot's chain link, which they can find in the published box) are what detect it. ``encrypt_ballot``
  accepts only ``bool`` choices, so an honest process cannot produce such a ballot from form data.
- Nothing authenticates the round's public key itself (a SealedBox has no sender): a process that could
  write the database before the vote could swap in a key pair it knows. ``box_genesis`` is the key's
  fingerprint; recording it where the database cannot change it (the decision opening the round) and
  comparing at the count is what detects that.
- Key size: 2048-bit n by default (about 112-bit security, NIST SP 800-57 to 2030), for encryption speed
  while a member waits. Measured here (2 cores, gmpy2): encrypting one entry takes 14-20 ms at 2048 bits
  and 44-49 ms at 3072 (a 30-dossier ballot: about 0.45 s against 1.4 s); a key pair 0.02-0.15 s at 2048,
  0.1-0.7 s at 3072; decrypting a total with its proof 29 ms against 106 ms, verifying one 20 ms against
  53 ms. Ballots stay secret only while n is not factored: raise ``bits`` if they must for decades.
- Argon2id defaults to libsodium's INTERACTIVE limits (64 MiB, 2 passes): 0.09 s to unseal here, where
  MODERATE (256 MiB, 3 passes) took 0.5-0.6 s and a quarter of a GiB per unseal in a web worker. The limits are
  stored with each sealed key, so raising the defaults later leaves old keys readable.
"""

from __future__ import annotations

import hashlib
import struct
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import nacl.exceptions
import nacl.pwhash.argon2id as argon2id
import nacl.utils
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.secret import SecretBox
from phe import paillier
from phe.util import invert, mulmod, powmod

from workflows.domain.errors import Invalid

__all__ = [
    "MEMLIMIT",
    "OPSLIMIT",
    "CannotOpenRoundKey",
    "OfficerKeys",
    "RoundKey",
    "RoundPrivateKey",
    "Tally",
    "WrongPassphrase",
    "ballot_receipt",
    "box_genesis",
    "decrypt_totals",
    "encrypt_ballot",
    "encrypted_totals",
    "new_round_key",
    "officer_keys",
    "open_round_key",
    "unseal_officer",
    "verify_box",
    "verify_tally",
]

OPSLIMIT = argon2id.OPSLIMIT_INTERACTIVE
MEMLIMIT = argon2id.MEMLIMIT_INTERACTIVE
MIN_BITS = 1024  # tests only; rounds use the default 2048

_OFFICER_V1 = 1
_ROUND_KEY_V1 = 1
_RECEIPT_TAG = b"vinhdanh/secret-ballot/receipt/v1\n"
_GENESIS_TAG = b"vinhdanh/secret-ballot/genesis/v1\n"
# version (1) | opslimit (u32) | memlimit (u64) | salt | SecretBox (nonce | ciphertext | MAC)
_OFFICER_HEAD = struct.Struct(">BIQ")


class WrongPassphrase(Invalid):
    """The passphrase does not open the officer's sealed key (or the sealed key was altered)."""

    def __init__(self) -> None:
        super().__init__("Mật khẩu kiểm phiếu không đúng.")


class CannotOpenRoundKey(Invalid):
    """The sealed round key is not this officer's, is damaged, or does not belong to the round's public key."""

    def __init__(self) -> None:
        super().__init__("Khóa kiểm phiếu của vòng bỏ phiếu không mở được bằng khóa của cán bộ này.")


@dataclass(frozen=True)
class OfficerKeys:
    public: bytes  # Curve25519 public key, 32 bytes
    sealed_secret: bytes  # the private key under the passphrase (versioned, carries salt and limits)

    def __repr__(self) -> str:
        return f"OfficerKeys(public={self.public.hex()}, sealed_secret=<{len(self.sealed_secret)} bytes>)"


@dataclass(frozen=True)
class RoundKey:
    public: bytes  # Paillier n, big-endian, bits/8 bytes
    sealed: dict[int, bytes]  # officer id -> the private key (p, q) in a SealedBox to that officer

    def __repr__(self) -> str:
        return f"RoundKey(bits={len(self.public) * 8}, sealed for officers {sorted(self.sealed)})"


@dataclass(frozen=True)
class Tally:
    agree: int
    proof: int  # the Paillier randomness r of the total: Enc(agree; r) == total, checkable with the public key


class RoundPrivateKey:
    """An opened round key. Opaque: no repr of its secrets, and it refuses to be pickled (RQ pickles job data)."""

    __slots__ = ("_key", "_n_inverse")

    def __init__(self, key: paillier.PaillierPrivateKey) -> None:
        self._key = key
        phi = (key.p - 1) * (key.q - 1)
        # n is invertible modulo phi for two distinct primes of the same size (gcd(pq, (p-1)(q-1)) = 1).
        self._n_inverse = invert(key.public_key.n, phi)

    @property
    def public(self) -> bytes:
        return _public_bytes(self._key.public_key)

    def __repr__(self) -> str:
        return f"RoundPrivateKey(bits={self._key.public_key.n.bit_length()}, <hidden>)"

    def __reduce__(self):
        raise TypeError("a RoundPrivateKey is never pickled: open it where it is used")


# --- officers -----------------------------------------------------------------------------------------


def _passphrase_bytes(passphrase: str) -> bytes:
    if not isinstance(passphrase, str) or not passphrase:
        raise ValueError("the passphrase is a non-empty str")
    # Vietnamese input methods type "ờ" either composed or as "o" + horn + grave: NFC makes them one passphrase.
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def _check_limits(opslimit: int, memlimit: int) -> None:
    # The upper bounds keep a tampered sealed key from making an unseal take minutes or gigabytes.
    if not (argon2id.OPSLIMIT_MIN <= opslimit <= argon2id.OPSLIMIT_SENSITIVE):
        raise ValueError(f"opslimit {opslimit} outside {argon2id.OPSLIMIT_MIN}..{argon2id.OPSLIMIT_SENSITIVE}")
    if not (argon2id.MEMLIMIT_MIN <= memlimit <= argon2id.MEMLIMIT_SENSITIVE):
        raise ValueError(f"memlimit {memlimit} outside {argon2id.MEMLIMIT_MIN}..{argon2id.MEMLIMIT_SENSITIVE}")


def officer_keys(passphrase: str, *, opslimit: int = OPSLIMIT, memlimit: int = MEMLIMIT) -> OfficerKeys:
    """A new long-term key pair for an officer; the private half only sealed under the passphrase."""
    _check_limits(opslimit, memlimit)
    secret = PrivateKey.generate()
    salt = nacl.utils.random(argon2id.SALTBYTES)
    key = argon2id.kdf(SecretBox.KEY_SIZE, _passphrase_bytes(passphrase), salt, opslimit=opslimit, memlimit=memlimit)
    # The salt and limits need no authentication of their own: changing either derives another key,
    # and the box's MAC then fails (reported as a wrong passphrase).
    box = SecretBox(key).encrypt(bytes(secret))  # random 24-byte nonce, prepended by PyNaCl
    return OfficerKeys(bytes(secret.public_key), _OFFICER_HEAD.pack(_OFFICER_V1, opslimit, memlimit) + salt + bytes(box))


def unseal_officer(sealed_secret: bytes, passphrase: str) -> PrivateKey:
    """The officer's private key; ``WrongPassphrase`` if the passphrase (or the sealed bytes) is wrong."""
    head, salt_end = _OFFICER_HEAD.size, _OFFICER_HEAD.size + argon2id.SALTBYTES
    expected = salt_end + SecretBox.NONCE_SIZE + PrivateKey.SIZE + SecretBox.MACBYTES
    if len(sealed_secret) != expected:
        raise ValueError("not a sealed officer key")
    version, opslimit, memlimit = _OFFICER_HEAD.unpack(sealed_secret[:head])
    if version != _OFFICER_V1:
        raise ValueError(f"unknown sealed officer key version {version}")
    _check_limits(opslimit, memlimit)
    key = argon2id.kdf(SecretBox.KEY_SIZE, _passphrase_bytes(passphrase), sealed_secret[head:salt_end],
                       opslimit=opslimit, memlimit=memlimit)
    try:
        return PrivateKey(SecretBox(key).decrypt(sealed_secret[salt_end:]))
    except nacl.exceptions.CryptoError:
        raise WrongPassphrase() from None


# --- the round key ------------------------------------------------------------------------------------


def _public_bytes(key: paillier.PaillierPublicKey) -> bytes:
    return key.n.to_bytes((key.n.bit_length() + 7) // 8, "big")


def _public_key(public: bytes) -> paillier.PaillierPublicKey:
    n = int.from_bytes(public, "big")
    if len(public) * 8 < MIN_BITS or n.bit_length() != len(public) * 8 or n % 2 == 0:
        raise ValueError("not a round public key")
    return paillier.PaillierPublicKey(n)


def _width(key: paillier.PaillierPublicKey) -> int:
    """Bytes of a ciphertext: n^2 < 2^(2*bits), so 2*bits/8."""
    return 2 * ((key.n.bit_length() + 7) // 8)


def _ct_bytes(key: paillier.PaillierPublicKey, c: int) -> bytes:
    return c.to_bytes(_width(key), "big")


def _ct_int(key: paillier.PaillierPublicKey, data: bytes) -> int:
    if not isinstance(data, bytes | bytearray) or len(data) != _width(key):
        raise ValueError("a ciphertext of the wrong length")
    c = int.from_bytes(data, "big")
    if not 0 < c < key.nsquare:
        raise ValueError("a ciphertext outside 1..n^2-1")
    return c


def _lp(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def new_round_key(officer_publics: Mapping[int, bytes], bits: int = 2048) -> RoundKey:
    """A Paillier key pair for one round; the private key sealed to each officer, never returned in clear."""
    if bits < MIN_BITS or bits % 16:
        raise ValueError(f"bits is a multiple of 16, at least {MIN_BITS}")
    if not officer_publics:
        raise ValueError("a round key needs at least one officer")
    recipients = {officer: PublicKey(bytes(public)) for officer, public in officer_publics.items()}
    public_key, private_key = paillier.generate_paillier_keypair(n_length=bits)
    p, q = private_key.p, private_key.q
    secret = bytes([_ROUND_KEY_V1]) + _lp(p.to_bytes((p.bit_length() + 7) // 8, "big")) + \
        _lp(q.to_bytes((q.bit_length() + 7) // 8, "big"))
    return RoundKey(_public_bytes(public_key), {officer: SealedBox(pk).encrypt(secret) for officer, pk in recipients.items()})


def open_round_key(sealed_for_officer: bytes, officer_private: PrivateKey, public: bytes) -> RoundPrivateKey:
    """The round's private key, opened by one officer; checked against the round's public key."""
    key = _public_key(public)
    try:
        secret = SealedBox(officer_private).decrypt(bytes(sealed_for_officer))
    except nacl.exceptions.CryptoError:
        raise CannotOpenRoundKey() from None
    try:
        if secret[0] != _ROUND_KEY_V1:
            raise ValueError("version")
        (p_len,) = struct.unpack(">I", secret[1:5])
        p = int.from_bytes(secret[5:5 + p_len], "big")
        (q_len,) = struct.unpack(">I", secret[5 + p_len:9 + p_len])
        q = int.from_bytes(secret[9 + p_len:], "big")
        if len(secret) != 9 + p_len + q_len:
            raise ValueError("length")
        return RoundPrivateKey(paillier.PaillierPrivateKey(key, p, q))  # checks p * q == n
    except (ValueError, IndexError, struct.error, ZeroDivisionError):
        raise CannotOpenRoundKey() from None


# --- ballots and the box ------------------------------------------------------------------------------


def encrypt_ballot(public: bytes, choices: Mapping[int, bool]) -> dict[int, bytes]:
    """Per dossier id, Enc(1) for agree and Enc(0) for disagree, each with fresh randomness."""
    key = _public_key(public)
    if not choices:
        raise ValueError("a ballot covers at least one dossier")
    out = {}
    for dossier, choice in choices.items():
        if not isinstance(choice, bool):  # only a real bool: never 2 or "1" from form data
            raise TypeError(f"the choice for dossier {dossier} is {type(choice).__name__}, not bool")
        # raw_encrypt draws r uniformly from 1..n-1 with random.SystemRandom (the OS's generator).
        out[_id(dossier)] = _ct_bytes(key, key.raw_encrypt(int(choice)))
    return out


def _id(value: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
        raise ValueError(f"an id is an int in 0..2^63-1, not {value!r}")
    return value


def _hex_hash(value: str) -> bytes:
    if not isinstance(value, str) or len(value) != 64 or value != value.lower():
        raise ValueError("a hash is 64 lowercase hex digits")
    return bytes.fromhex(value)


def box_genesis(round_id: int, public: bytes) -> str:
    """The ``prev_hash`` of the round's first ballot: binds the chain to the round and its public key."""
    return hashlib.sha256(_GENESIS_TAG + struct.pack(">Q", _id(round_id)) + _lp(bytes(public))).hexdigest()


def ballot_receipt(round_id: int, ballot_id: str, prev_hash: str, ciphertexts: Mapping[int, bytes]) -> str:
    """SHA-256 hex of a ballot's canonical encoding: the member's receipt and the box's next chain link.

    Encoding (v1): tag | round id u64 | len-prefixed ballot id (UTF-8) | prev hash (32 bytes) | count u32 |
    per dossier id ascending: id u64 | len-prefixed ciphertext. Fixed widths and prefixes: no two ballots
    encode alike.
    """
    if not isinstance(ballot_id, str) or not ballot_id:
        raise ValueError("a ballot id is a non-empty str")
    parts = [_RECEIPT_TAG, struct.pack(">Q", _id(round_id)), _lp(ballot_id.encode("utf-8")),
             _hex_hash(prev_hash), struct.pack(">I", len(ciphertexts))]
    for dossier in sorted(_id(d) for d in ciphertexts):
        parts += [struct.pack(">Q", dossier), _lp(bytes(ciphertexts[dossier]))]
    return hashlib.sha256(b"".join(parts)).hexdigest()


def _sum(key: paillier.PaillierPublicKey, ballots: Iterable[Mapping[int, bytes]], dossiers: Iterable[int]) -> dict[int, bytes]:
    # Enc(a; r) * Enc(b; s) = Enc(a + b; r * s) mod n^2. Multiplying the raw ciphertexts, with no
    # obfuscation step (phe's EncryptedNumber would re-randomise), makes the total a pure function of the box.
    totals = dict.fromkeys(dossiers, 1)  # 1 = Enc(0; r = 1), the empty sum
    for ballot in ballots:
        for dossier in totals:
            if dossier in ballot:
                totals[dossier] = mulmod(totals[dossier], _ct_int(key, ballot[dossier]), key.nsquare)
    return {dossier: _ct_bytes(key, c) for dossier, c in totals.items()}


def encrypted_totals(public: bytes, ballots: Sequence[Mapping[int, bytes]],
                     dossier_ids: Iterable[int] | None = None) -> dict[int, bytes]:
    """The homomorphic sum per dossier, exactly recomputable by anyone from the box.

    Every ballot must cover the same dossier ids (``dossier_ids`` if given, else the first ballot's);
    with no ballots and ``dossier_ids`` given, each total is the encryption of 0 with r = 1.
    """
    key = _public_key(public)
    if dossier_ids is not None:
        ids = {_id(d) for d in dossier_ids}
    elif ballots:
        ids = set(ballots[0])
    else:
        return {}
    for position, ballot in enumerate(ballots, 1):
        if set(ballot) != ids:
            raise ValueError(f"ballot {position} does not cover exactly the round's dossiers")
    return _sum(key, ballots, sorted(ids))


def decrypt_totals(private: RoundPrivateKey, totals: Mapping[int, bytes]) -> dict[int, Tally]:
    """Each total's agree count and the randomness r that proves it (``verify_tally``).

    Revealing r of a total reveals nothing about one ballot: r = r_1 * ... * r_k mod n for independent
    uniform r_i, so r is uniform and independent of any k - 1 of the ballots (the remaining r_j absorbs
    it), and the last ballot is then fixed by the total, which is public anyway. What r adds is only the
    check that the total encrypts ``agree``. This holds because the total is the plain product of the
    ballots (``encrypted_totals`` never re-randomises) and because no other partial sum is ever opened.
    """
    key = private._key
    public_key = key.public_key
    n, nsquare = public_key.n, public_key.nsquare
    out = {}
    for dossier, data in totals.items():
        c = _ct_int(public_key, data)
        m = key.raw_decrypt(c)
        # With g = n + 1: c = (1 + n)^m * r^n mod n^2 and (1 + n)^-m = 1 - m*n mod n^2, so
        # c * (1 - m*n) = r^n mod n^2; modulo n, r = (r^n)^(n^-1 mod phi) (RSA decryption with e = n).
        r_to_n = mulmod(c, (1 - m * n) % nsquare, nsquare)
        r = powmod(r_to_n % n, private._n_inverse, n)
        if not 1 <= r < n or public_key.raw_encrypt(m, r_value=r) != c:
            raise ValueError(f"the total for dossier {dossier} is not a Paillier ciphertext of this key")
        out[dossier] = Tally(m, r)
    return out


def verify_tally(public: bytes, total_ct: bytes, agree: int, proof: int, members: int) -> bool:
    """Whether ``total_ct`` encrypts ``agree`` with randomness ``proof``, using only the public key.

    ``members`` bounds the count: no more agree votes than there were ballots (or members).
    """
    try:
        key = _public_key(public)
        c = _ct_int(key, total_ct)
    except ValueError:
        return False
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (agree, proof, members)):
        return False
    if not (0 <= agree <= members and 1 <= proof < key.n):
        return False
    return key.raw_encrypt(agree, r_value=proof) == c


def verify_box(round_id: int, public: bytes, ballots: Sequence[tuple[str, str, str, Mapping[int, bytes]]],
               published_totals: Mapping[int, bytes], tallies: Mapping[int, Tally] | None, members: int, voted: int,
               *, dossier_ids: Iterable[int] | None = None) -> list[str]:
    """The problems with a round's box, in Vietnamese (empty: verified).

    ``ballots`` is the box in chain order, each ``(ballot_id, prev_hash, hash, ciphertexts)``. The round's
    dossiers are ``dossier_ids`` if given (pass them from the round, the stronger check), else the
    published totals' ids. ``tallies`` None checks the box before it is counted.
    """
    try:
        key = _public_key(public)
    except ValueError:
        return ["Khóa công khai của vòng bỏ phiếu không hợp lệ."]
    problems = []
    ids = {_id(d) for d in dossier_ids} if dossier_ids is not None else set(published_totals)
    if set(published_totals) != ids:
        problems.append(f"Tổng mã hóa được công bố cho các hồ sơ {sorted(published_totals)}, "
                        f"khác các hồ sơ của vòng {sorted(ids)}.")
    if voted > members:
        problems.append(f"Số ủy viên đã bỏ phiếu ({voted}) lớn hơn số ủy viên ({members}).")
    if len(ballots) != voted:
        problems.append(f"Hòm phiếu có {len(ballots)} phiếu, khác số ủy viên đã bỏ phiếu ({voted}).")

    previous = box_genesis(round_id, public)
    seen: set[str] = set()
    counted = []
    for position, (ballot_id, prev_hash, link, ciphertexts) in enumerate(ballots, 1):
        name = f"Phiếu thứ {position} ({ballot_id})"
        if ballot_id in seen:
            problems.append(f"{name}: mã phiếu bị trùng.")
        seen.add(ballot_id)
        if prev_hash != previous:
            problems.append(f"{name}: không nối tiếp phiếu trước trong chuỗi băm.")
        try:
            if ballot_receipt(round_id, ballot_id, prev_hash, ciphertexts) != link:
                problems.append(f"{name}: mã băm không khớp nội dung phiếu.")
        except (ValueError, TypeError):
            problems.append(f"{name}: không đọc được để tính mã băm.")
        previous = link
        if set(ciphertexts) != ids:
            missing, extra = sorted(ids - set(ciphertexts)), sorted(set(ciphertexts) - ids)
            problems.append(f"{name}: không phủ đúng các hồ sơ của vòng (thiếu {missing}, thừa {extra}).")
        bad = []
        for dossier, data in ciphertexts.items():
            try:
                _ct_int(key, data)
            except ValueError:
                bad.append(dossier)
        if bad:
            problems.append(f"{name}: bản mã không hợp lệ cho các hồ sơ {sorted(bad, key=str)}.")
        else:
            counted.append(ciphertexts)

    totals = _sum(key, counted, sorted(ids))
    for dossier in sorted(ids):
        if published_totals.get(dossier) != totals[dossier]:
            problems.append(f"Hồ sơ {dossier}: tổng mã hóa được công bố không khớp với các phiếu trong hòm.")
    if tallies is not None:
        if set(tallies) != ids:
            problems.append(f"Kết quả kiểm phiếu có các hồ sơ {sorted(tallies)}, khác các hồ sơ của vòng {sorted(ids)}.")
        for dossier in sorted(ids & set(tallies)):
            tally = tallies[dossier]
            if not verify_tally(public, totals[dossier], tally.agree, tally.proof, min(members, voted)):
                problems.append(f"Hồ sơ {dossier}: kết quả {tally.agree} phiếu đồng ý không khớp tổng mã hóa (bằng chứng sai).")
    return problems
