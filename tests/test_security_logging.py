"""No full mobile or ID-card number reaches a log line; the masking helpers the history and
the referrals pages use."""

import io
import logging
import sys

import pytest
from phonenumber_field.phonenumber import PhoneNumber

from agentcrm.core.logging import MaskPersonalNumbersFilter
from agentcrm.core.masking import mask_id, mask_phone, mask_text


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+8613812345678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        (PhoneNumber.from_string("+8613812345678"), "138****5678"),
        ("+85291234567", "+852 912*4567"),
        ("021-6123-4567", "021****4567"),
        ("12345", "***45"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone(value, masked):
    assert mask_phone(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("110101199003074512", "110***********4512"),
        ("11010119900307451X", "110***********451X"),
        ("E12345678", "E12**5678"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_id(value, masked):
    assert mask_id(value) == masked


def test_mask_text_finds_numbers_in_free_text_and_leaves_other_numbers():
    text = (
        "客户 13812345678、+86 139-8765-4321 身份证 11010119900307451x；"
        "保单 P2026112412345678901，时间戳 1732456789012，金额 12000"
    )
    assert mask_text(text) == (
        "客户 138****5678、139****4321 身份证 110***********451x；"
        "保单 P2026112412345678901，时间戳 1732456789012，金额 12000"
    )


def make_record(msg, args=(), exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("agentcrm", logging.WARNING, __file__, 1, msg, args, exc_info)


def test_the_filter_masks_the_message_and_its_arguments():
    record = make_record("client %s (%s) called from %d", ("王芳", "13812345678", 13987654321))

    assert MaskPersonalNumbersFilter().filter(record) is True
    assert record.getMessage() == "client 王芳 (138****5678) called from 139****4321"


def test_the_filter_masks_exception_text():
    try:
        raise ValueError("bad id 110101199003074512")
    except ValueError:
        record = make_record("import failed", exc_info=sys.exc_info())
    MaskPersonalNumbersFilter().filter(record)
    assert "110101199003074512" not in record.exc_text
    assert "110***********4512" in record.exc_text


def test_the_filter_leaves_a_broken_format_to_logging():
    record = make_record("%s %s", ("only one",))
    assert MaskPersonalNumbersFilter().filter(record) is True


def test_the_root_handler_masks_what_it_writes():
    """Installed in settings.LOGGING on the console handler of the root logger."""
    handlers = [
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, MaskPersonalNumbersFilter) for f in h.filters)
    ]
    assert handlers, "no root handler masks phone numbers"
    console = handlers[0]
    written = io.StringIO()
    previous = console.setStream(written)
    try:
        logging.getLogger("agentcrm.test").warning("call %s now", "13812345678")
    finally:
        console.setStream(previous)

    assert written.getvalue().strip() == "call 138****5678 now"
