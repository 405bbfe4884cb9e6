"""When reads may go to the read replica (gridcase.replica.judge_replica), from the figures a
standby reports about its replication."""

from gridcase.replica import judge_replica

BOUND = 30.0


def test_a_caught_up_standby_is_fresh_however_old_its_last_commit():
    # An idle primary commits nothing, so the last replayed commit grows old on a healthy standby.
    verdict = judge_replica(standby=True, caught_up=True, replay_age=86_400.0, max_lag=BOUND)
    assert verdict.usable and verdict.lag_seconds == 0.0


def test_a_standby_behind_the_primary_is_used_within_the_bound_only():
    assert judge_replica(standby=True, caught_up=False, replay_age=12.0, max_lag=BOUND).usable
    late = judge_replica(standby=True, caught_up=False, replay_age=45.0, max_lag=BOUND)
    assert not late.usable and "45.0 s" in late.reason and late.lag_seconds == 45.0


def test_a_server_that_is_not_a_standby_is_never_read_as_the_replica():
    # A promoted standby (or the primary given by mistake) would drift from the primary.
    verdict = judge_replica(standby=False, caught_up=False, replay_age=None, max_lag=BOUND)
    assert not verdict.usable and "not a standby" in verdict.reason


def test_a_standby_that_has_replayed_nothing_and_does_not_stream_is_not_used():
    assert not judge_replica(standby=True, caught_up=False, replay_age=None, max_lag=BOUND).usable
