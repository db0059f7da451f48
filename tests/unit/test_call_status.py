from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dce.domain.calls import TRANSITIONS, Call, CallStatus, Direction, check_transition
from dce.domain.errors import InvalidState
from dce.domain.phone import PhoneNumber

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def a_call(status: CallStatus = CallStatus.PENDING) -> Call:
    number = PhoneNumber.parse("+14155551234")
    return Call("c1", "b1", number, number, Direction.OUTBOUND, status, T0, T0)


@pytest.mark.parametrize(
    ("current", "target"),
    [(c, t) for c, targets in TRANSITIONS.items() for t in sorted(targets)],
)
def test_every_listed_transition_is_allowed(current, target):
    check_transition(current, target)


@given(st.sampled_from(CallStatus), st.sampled_from(CallStatus))
def test_a_transition_not_in_the_table_is_refused_naming_the_allowed_states(current, target):
    if target in TRANSITIONS[current]:
        return
    with pytest.raises(InvalidState) as error:
        check_transition(current, target)
    for allowed in TRANSITIONS[current]:
        assert str(allowed) in error.value.message


def test_final_states_have_no_way_out_and_unanswered_calls_only_failover():
    for final in (CallStatus.COMPLETED, CallStatus.FAILED, CallStatus.CANCELED):
        assert TRANSITIONS[final] == frozenset()
    for unanswered in (CallStatus.NO_ANSWER, CallStatus.BUSY):
        assert TRANSITIONS[unanswered] == frozenset({CallStatus.QUEUED})  # by POST /calls/{id}/route only


def test_going_in_progress_stamps_the_start_time_and_a_final_state_the_end_time():
    ringing = a_call(CallStatus.RINGING)
    started = ringing.transitioned(CallStatus.IN_PROGRESS, T0 + timedelta(seconds=5))
    assert started.start_time == T0 + timedelta(seconds=5)
    assert started.end_time is None
    failed = started.transitioned(CallStatus.FAILED, T0 + timedelta(seconds=9))
    assert failed.end_time == T0 + timedelta(seconds=9)
    assert failed.updated_at == T0 + timedelta(seconds=9)


def test_only_the_buyer_the_routed_seller_and_admins_see_a_call():
    call = a_call()
    assert call.is_visible_to("b1", is_admin=False)
    assert not call.is_visible_to("someone", is_admin=False)
    assert call.is_visible_to("someone", is_admin=True)
