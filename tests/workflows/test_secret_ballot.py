"""The secret ballot's cryptographic core: exact counts, fresh ciphertexts, officer keys, and a box that verifies
only when nothing in it was changed.

Keys are 1024 bits where size does not matter to what is tested (one round trip runs at the default 2048), and
Argon2id runs at its minimum limits (the limits are stored with the key, so the code path is the same).
"""

from __future__ import annotations

import hashlib
import pickle
import random
import unicodedata

import nacl.pwhash.argon2id as argon2id
import pytest
from nacl.public import PrivateKey, PublicKey, SealedBox

from workflows.domain.errors import Invalid
from workflows.domain.secret_ballot import (
    CannotOpenRoundKey,
    Tally,
    WrongPassphrase,
    ballot_receipt,
    box_genesis,
    decrypt_totals,
    encrypt_ballot,
    encrypted_totals,
    new_round_key,
    officer_keys,
    open_round_key,
    unseal_officer,
    verify_box,
    verify_tally,
)

FAST = {"opslimit": argon2id.OPSLIMIT_MIN, "memlimit": argon2id.MEMLIMIT_MIN}
CHAIR, VICE = 7, 8
ROUND = 42
DOSSIERS = [11, 12, 40, 41, 99]
MEMBERS = 9


@pytest.fixture(scope="module")
def officers():
    return {CHAIR: ("chủ tịch hội đồng", officer_keys("chủ tịch hội đồng", **FAST)),
            VICE: ("phó chủ tịch", officer_keys("phó chủ tịch", **FAST))}


@pytest.fixture(scope="module")
def round_key(officers):
    return new_round_key({officer: keys.public for officer, (_, keys) in officers.items()}, bits=1024)


def open_as(officer, officers, round_key):
    passphrase, keys = officers[officer]
    return open_round_key(round_key.sealed[officer], unseal_officer(keys.sealed_secret, passphrase), round_key.public)


def cast(public, votes, round_id=ROUND):
    """The box after ``votes`` (one dict dossier -> bool per member), in chain order."""
    box, prev = [], box_genesis(round_id, public)
    for i, choices in enumerate(votes):
        cts = encrypt_ballot(public, choices)
        link = ballot_receipt(round_id, f"b{i}", prev, cts)
        box.append((f"b{i}", prev, link, cts))
        prev = link
    return box


def count(box, public, private):
    totals = encrypted_totals(public, [cts for *_, cts in box])
    return totals, decrypt_totals(private, totals)


def random_votes(seed, members=MEMBERS, dossiers=DOSSIERS):
    rng = random.Random(seed)
    return [{d: rng.random() < 0.5 for d in dossiers} for _ in range(members)]


@pytest.fixture(scope="module")
def honest(officers, round_key):
    votes = random_votes(2024)
    box = cast(round_key.public, votes)
    totals, tallies = count(box, round_key.public, open_as(CHAIR, officers, round_key))
    return votes, box, totals, tallies


def check(round_key, box, totals, tallies, voted=MEMBERS):
    return verify_box(ROUND, round_key.public, box, totals, tallies, MEMBERS, voted, dossier_ids=DOSSIERS)


# --- counting -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_votes_count_exactly(seed, officers, round_key):
    votes = random_votes(seed)
    box = cast(round_key.public, votes)
    totals, tallies = count(box, round_key.public, open_as(CHAIR, officers, round_key))
    assert {d: t.agree for d, t in tallies.items()} == {d: sum(v[d] for v in votes) for d in DOSSIERS}
    assert check(round_key, box, totals, tallies) == []


@pytest.mark.parametrize("choice", [True, False])
def test_unanimous_rounds_count_all_or_nothing(choice, officers, round_key):
    box = cast(round_key.public, [dict.fromkeys(DOSSIERS, choice)] * MEMBERS)
    totals, tallies = count(box, round_key.public, open_as(CHAIR, officers, round_key))
    assert {t.agree for t in tallies.values()} == {MEMBERS if choice else 0}
    assert check(round_key, box, totals, tallies) == []


def test_an_empty_box_counts_zero(officers, round_key):
    totals = encrypted_totals(round_key.public, [], DOSSIERS)
    tallies = decrypt_totals(open_as(CHAIR, officers, round_key), totals)
    assert {d: t.agree for d, t in tallies.items()} == dict.fromkeys(DOSSIERS, 0)
    assert verify_box(ROUND, round_key.public, [], totals, tallies, MEMBERS, 0, dossier_ids=DOSSIERS) == []


def test_a_round_at_the_default_key_size():
    passphrase = "mật khẩu đủ dài của chủ tịch"
    chair = officer_keys(passphrase, **FAST)
    key = new_round_key({CHAIR: chair.public})
    assert len(key.public) == 2048 // 8
    votes = [{1: True, 2: False}, {1: True, 2: True}, {1: False, 2: False}]
    box = cast(key.public, votes)
    assert {len(ct) for *_, cts in box for ct in cts.values()} == {2 * 2048 // 8}
    private = open_round_key(key.sealed[CHAIR], unseal_officer(chair.sealed_secret, passphrase), key.public)
    totals, tallies = count(box, key.public, private)
    assert tallies == {1: Tally(2, tallies[1].proof), 2: Tally(1, tallies[2].proof)}
    assert verify_box(ROUND, key.public, box, totals, tallies, 3, 3) == []


def test_the_same_choices_encrypt_to_different_bytes(officers, round_key):
    choices = {d: i % 2 == 0 for i, d in enumerate(DOSSIERS)}
    first, second = encrypt_ballot(round_key.public, choices), encrypt_ballot(round_key.public, choices)
    assert all(first[d] != second[d] for d in DOSSIERS)
    assert len(set(first.values())) == len(DOSSIERS)  # and agree/disagree entries within one ballot differ too
    private = open_as(CHAIR, officers, round_key)
    for ballot in (first, second):
        assert {d: t.agree for d, t in decrypt_totals(private, ballot).items()} == {d: int(c) for d, c in choices.items()}


@pytest.mark.parametrize("choice", [1, 0, 2, "1", None])
def test_only_a_real_bool_is_a_choice(choice, round_key):
    with pytest.raises(TypeError):
        encrypt_ballot(round_key.public, {11: True, 12: choice})


def test_totals_are_the_plain_product_so_anyone_recomputes_them(honest, round_key):
    _, box, totals, _ = honest
    assert encrypted_totals(round_key.public, [cts for *_, cts in box]) == totals
    with pytest.raises(ValueError, match="ballot 2"):
        encrypted_totals(round_key.public, [box[0][3], {11: box[1][3][11]}])


# --- officer keys ---------------------------------------------------------------------------------------


def test_a_wrong_passphrase_is_refused(officers):
    _, keys = officers[CHAIR]
    with pytest.raises(WrongPassphrase) as refused:
        unseal_officer(keys.sealed_secret, "chủ tịch hội đồng ")
    assert isinstance(refused.value, Invalid)
    assert refused.value.message == "Mật khẩu kiểm phiếu không đúng."


# layout: version (0) | opslimit u32 (1-4) | memlimit u64 (5-12) | salt (13-28) | nonce (29-52) | box | MAC
@pytest.mark.parametrize(("offset", "mask"), [(4, 2), (11, 0x40), (13, 1), (13 + 16, 1), (-1, 1)],
                         ids=["opslimit", "memlimit", "salt", "nonce", "mac"])
def test_an_altered_sealed_key_is_refused(offset, mask, officers):
    passphrase, keys = officers[CHAIR]
    altered = bytearray(keys.sealed_secret)
    altered[offset] ^= mask  # within the allowed limits: a different key is derived and the MAC fails
    with pytest.raises(WrongPassphrase):
        unseal_officer(bytes(altered), passphrase)


def test_limits_are_stored_with_the_key_and_bounded(officers):
    passphrase, keys = officers[CHAIR]
    assert unseal_officer(keys.sealed_secret, passphrase).public_key == PublicKey(keys.public)
    huge = bytearray(keys.sealed_secret)
    huge[1:5] = (2**32 - 1).to_bytes(4, "big")  # a tampered key must not make an unseal run for hours
    with pytest.raises(ValueError, match="opslimit"):
        unseal_officer(bytes(huge), passphrase)


def test_a_passphrase_typed_composed_or_decomposed_is_the_same():
    typed = "Bờ hồ Gươm"
    keys = officer_keys(unicodedata.normalize("NFD", typed), **FAST)
    assert unicodedata.normalize("NFD", typed) != typed
    assert bytes(unseal_officer(keys.sealed_secret, typed).public_key) == keys.public


def test_the_vice_chair_opens_the_same_round_key_and_the_secretariat_cannot(officers, round_key, honest):
    _, _, totals, tallies = honest
    assert decrypt_totals(open_as(VICE, officers, round_key), totals) == tallies
    secretariat = PrivateKey.generate()
    with pytest.raises(CannotOpenRoundKey):
        open_round_key(round_key.sealed[CHAIR], secretariat, round_key.public)


def test_a_sealed_round_key_opens_only_against_its_own_public_key(officers, round_key):
    passphrase, keys = officers[CHAIR]
    chair = unseal_officer(keys.sealed_secret, passphrase)
    other = new_round_key({CHAIR: keys.public}, bits=1024)
    with pytest.raises(CannotOpenRoundKey):
        open_round_key(other.sealed[CHAIR], chair, round_key.public)
    forged = SealedBox(PublicKey(keys.public)).encrypt(b"\x01\x00\x00\x00\x01\x03\x00\x00\x00\x01\x05")
    with pytest.raises(CannotOpenRoundKey):
        open_round_key(forged, chair, round_key.public)


def test_the_opened_round_key_stays_in_its_process(officers, round_key):
    private = open_as(CHAIR, officers, round_key)
    assert "hidden" in repr(private) and str(private.public.hex()[:16]) not in repr(private)
    with pytest.raises(TypeError):
        pickle.dumps(private)


# --- serialization --------------------------------------------------------------------------------------


def test_keys_and_ciphertexts_round_trip_through_bytes(officers, round_key):
    assert len(round_key.public) == 1024 // 8 and round_key.public[0] & 0x80
    n = int.from_bytes(round_key.public, "big")
    private = open_as(CHAIR, officers, round_key)
    assert private.public == round_key.public
    # through a stored copy (bytes(bytearray(...)) as a database driver hands it back)
    stored = {d: bytes(bytearray(ct)) for d, ct in encrypt_ballot(bytes(bytearray(round_key.public)), {1: True}).items()}
    assert len(stored[1]) == 2 * 1024 // 8 and int.from_bytes(stored[1], "big") < n * n
    assert decrypt_totals(private, stored)[1].agree == 1
    # a ciphertext with leading zero bytes keeps its width: the empty total is the integer 1
    empty = encrypted_totals(round_key.public, [], [5])[5]
    assert empty == (1).to_bytes(2 * 1024 // 8, "big")
    assert decrypt_totals(private, {5: empty})[5] == Tally(0, 1)
    with pytest.raises(ValueError):
        decrypt_totals(private, {5: empty[1:]})


# --- receipts and the box -------------------------------------------------------------------------------


def test_a_receipt_is_canonical_versioned_and_covers_every_field():
    prev = "ab" * 32
    cts = {3: b"\x00\x01", 1: b"\x02"}
    receipt = ballot_receipt(5, "phiếu-1", prev, cts)
    assert receipt == ballot_receipt(5, "phiếu-1", prev, {1: b"\x02", 3: b"\x00\x01"})
    expected = hashlib.sha256(
        b"vinhdanh/secret-ballot/receipt/v1\n" + (5).to_bytes(8, "big") + len("phiếu-1".encode()).to_bytes(4, "big")
        + "phiếu-1".encode() + bytes.fromhex(prev) + (2).to_bytes(4, "big")
        + (1).to_bytes(8, "big") + (1).to_bytes(4, "big") + b"\x02"
        + (3).to_bytes(8, "big") + (2).to_bytes(4, "big") + b"\x00\x01").hexdigest()
    assert receipt == expected
    changed = [ballot_receipt(6, "phiếu-1", prev, cts), ballot_receipt(5, "phiếu-2", prev, cts),
               ballot_receipt(5, "phiếu-1", "ac" * 32, cts), ballot_receipt(5, "phiếu-1", prev, {3: b"\x00\x01", 2: b"\x02"}),
               ballot_receipt(5, "phiếu-1", prev, {3: b"\x01", 1: b"\x02"}), ballot_receipt(5, "phiếu-1", prev, {3: b"\x00\x01"})]
    assert receipt not in changed and len(set(changed)) == len(changed)
    with pytest.raises(ValueError):
        ballot_receipt(5, "phiếu-1", "AB" * 32, cts)


def test_the_genesis_binds_the_round_and_its_key(round_key):
    other = new_round_key({1: bytes(PrivateKey.generate().public_key)}, bits=1024)
    assert len({box_genesis(ROUND, round_key.public), box_genesis(ROUND + 1, round_key.public),
                box_genesis(ROUND, other.public)}) == 3


def test_an_honest_box_verifies(honest, round_key):
    _, box, totals, tallies = honest
    assert check(round_key, box, totals, tallies) == []
    assert check(round_key, box, totals, None) == []  # before the count
    assert verify_box(ROUND, round_key.public, box, totals, tallies, MEMBERS, MEMBERS) == []  # ids from the totals


def _problems(round_key, box, totals, tallies, voted=MEMBERS):
    problems = check(round_key, box, totals, tallies, voted)
    assert problems, "the change went unnoticed"
    return " | ".join(problems)


def test_an_altered_ciphertext_is_found(honest, round_key):
    votes, box, totals, tallies = honest
    ballot_id, prev, link, cts = box[3]
    altered = list(box)
    altered[3] = (ballot_id, prev, link, {**cts, 40: encrypt_ballot(round_key.public, {40: not votes[3][40]})[40]})
    problems = _problems(round_key, altered, totals, tallies)
    assert "Phiếu thứ 4 (b3): mã băm không khớp" in problems
    assert "Hồ sơ 40: tổng mã hóa được công bố không khớp" in problems
    # re-hashing the altered ballot only moves the break to the next link
    altered[3] = (ballot_id, prev, ballot_receipt(ROUND, ballot_id, prev, altered[3][3]), altered[3][3])
    problems = _problems(round_key, altered, totals, tallies)
    assert "Phiếu thứ 5 (b4): không nối tiếp phiếu trước" in problems and "Phiếu thứ 4" not in problems


def test_a_removed_ballot_is_found(honest, round_key):
    _, box, totals, tallies = honest
    problems = _problems(round_key, box[:4] + box[5:], totals, tallies)
    assert "Hòm phiếu có 8 phiếu, khác số ủy viên đã bỏ phiếu (9)" in problems
    assert "Phiếu thứ 5 (b5): không nối tiếp phiếu trước" in problems
    # dropping the last one keeps the chain whole: the count still tells
    problems = _problems(round_key, box[:-1], totals, tallies)
    assert "Hòm phiếu có 8 phiếu" in problems and "chuỗi băm" not in problems


def test_an_added_ballot_is_found(honest, officers, round_key):
    _, box, totals, tallies = honest
    cts = encrypt_ballot(round_key.public, dict.fromkeys(DOSSIERS, True))
    extra = ("b9", box[-1][2], ballot_receipt(ROUND, "b9", box[-1][2], cts), cts)  # a correct chain extension
    problems = _problems(round_key, [*box, extra], totals, tallies)
    assert "Hòm phiếu có 10 phiếu, khác số ủy viên đã bỏ phiếu (9)" in problems
    assert "Hồ sơ 11: tổng mã hóa được công bố không khớp" in problems
    # even with the totals and tallies recounted to match, the number who voted tells
    recounted = count([*box, extra], round_key.public, open_as(CHAIR, officers, round_key))
    assert _problems(round_key, [*box, extra], *recounted) == "Hòm phiếu có 10 phiếu, khác số ủy viên đã bỏ phiếu (9)."


def test_a_changed_published_total_is_found(honest, round_key):
    _, box, totals, tallies = honest
    changed = {**totals, 12: encrypted_totals(round_key.public, [cts for *_, cts in box[1:]])[12]}
    problems = _problems(round_key, box, changed, tallies)
    assert "Hồ sơ 12: tổng mã hóa được công bố không khớp" in problems
    assert "Hồ sơ 11" not in problems


@pytest.mark.parametrize("forge", ["proof", "agree", "both"])
def test_a_forged_tally_is_found(forge, honest, round_key):
    _, box, totals, tallies = honest
    true = tallies[41]
    n = int.from_bytes(round_key.public, "big")
    forged = {"proof": Tally(true.agree, true.proof + 1),
              "agree": Tally(true.agree + 1 if true.agree < MEMBERS else 0, true.proof),
              "both": Tally((true.agree + 1) % (MEMBERS + 1), (true.proof * 2) % n)}[forge]
    problems = _problems(round_key, box, totals, {**tallies, 41: forged})
    assert "Hồ sơ 41: kết quả" in problems and "bằng chứng sai" in problems
    assert "Hồ sơ 40" not in problems


def test_a_tally_verifies_only_in_range(honest, round_key):
    _, _, totals, tallies = honest
    t = tallies[11]
    assert verify_tally(round_key.public, totals[11], t.agree, t.proof, MEMBERS)
    assert not verify_tally(round_key.public, totals[11], t.agree, t.proof, t.agree - 1)
    assert not verify_tally(round_key.public, totals[11], t.agree, 0, MEMBERS)
    assert not verify_tally(round_key.public, totals[11][1:], t.agree, t.proof, MEMBERS)
    assert not verify_tally(round_key.public, totals[11], t.agree, t.proof + int.from_bytes(round_key.public, "big"), MEMBERS)


def test_a_ballot_must_cover_exactly_the_rounds_dossiers(round_key):
    votes = random_votes(7)
    votes[2] = {d: True for d in DOSSIERS[:-1]}
    votes[5] = {**votes[5], 1000: True}
    box = cast(round_key.public, votes)
    totals = encrypted_totals(round_key.public, [cts for *_, cts in box if set(cts) == set(DOSSIERS)], DOSSIERS)
    problems = _problems(round_key, box, totals, None)
    assert "Phiếu thứ 3 (b2): không phủ đúng các hồ sơ của vòng (thiếu [99], thừa [])" in problems
    assert "Phiếu thứ 6 (b5): không phủ đúng các hồ sơ của vòng (thiếu [], thừa [1000])" in problems


def test_a_duplicated_ballot_id_and_a_damaged_ciphertext_are_found(honest, round_key):
    _, box, totals, tallies = honest
    _, prev, _, cts = box[1]
    damaged = {**cts, 99: cts[99][:-1]}
    altered = [box[0], ("b0", prev, ballot_receipt(ROUND, "b0", prev, damaged), damaged), *box[2:]]
    problems = _problems(round_key, altered, totals, tallies)
    assert "Phiếu thứ 2 (b0): mã phiếu bị trùng" in problems
    assert "Phiếu thứ 2 (b0): bản mã không hợp lệ cho các hồ sơ [99]" in problems


def test_what_the_box_alone_cannot_detect_the_members_receipts_do(officers, round_key, honest):
    """The documented limit: a writer that rebuilds the whole chain with a ballot encrypting 2 in place of an
    honest one, and recounts, gets a box that verifies; the member whose ballot it replaced finds no receipt."""
    votes, box, _, _ = honest
    receipts = [link for _, _, link, _ in box]
    pub = round_key.public
    n = int.from_bytes(pub, "big")
    from phe import paillier  # the forger's own encryption of 2, outside encrypt_ballot's bool check

    forged_ballot = {d: paillier.PaillierPublicKey(n).raw_encrypt(2).to_bytes(2 * len(pub), "big") for d in DOSSIERS}
    rebuilt, prev = [], box_genesis(ROUND, pub)
    for i, (ballot_id, _, _, cts) in enumerate(box):
        cts = forged_ballot if i == 0 else cts
        link = ballot_receipt(ROUND, ballot_id, prev, cts)
        rebuilt.append((ballot_id, prev, link, cts))
        prev = link
    totals, tallies = count(rebuilt, pub, open_as(CHAIR, officers, round_key))
    assert tallies[11].agree == sum(v[11] for v in votes[1:]) + 2
    assert check(round_key, rebuilt, totals, tallies) == []
    assert [r for r in receipts if r not in {link for _, _, link, _ in rebuilt}] == receipts  # every receipt is gone
