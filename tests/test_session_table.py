"""The sessions table holds signed-in sessions only, and stays bounded without a scheduler."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select

from app.extensions import db
from app.models import SessionRecord
from harness.actions import SessionActions


def count_rows(app, *, expired_only: bool = False) -> int:
    query = select(func.count(SessionRecord.id))
    if expired_only:
        query = query.where(SessionRecord.expiry <= datetime.now(UTC).replace(tzinfo=None))
    with app.app_context():
        return db.session.execute(query).scalar_one()


def test_the_table_stays_bounded_under_sign_ins_that_are_never_signed_out(make_app, time_machine):
    app = make_app(
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=5),
        SESSION_REFRESH_INTERVAL=timedelta(minutes=1),
        SESSION_SWEEP_BATCH=5,
    )
    alive_at_once = 5 * 60 // 30  # a sign-in every 30 seconds, each living 5 minutes
    sizes = []
    for _ in range(40):
        SessionActions(app.test_client()).login()
        sizes.append(count_rows(app))
        time_machine.move_to(datetime.now(UTC) + timedelta(seconds=30))
    assert max(sizes) <= alive_at_once + 1, sizes  # not 40: expired records went
    assert count_rows(app, expired_only=True) <= 1


def test_each_sign_in_sweeps_a_bounded_number_of_expired_records(make_app):
    app = make_app(SESSION_SWEEP_BATCH=7)
    long_ago = datetime(2000, 1, 1)
    with app.app_context():
        rows = [
            {"session_id": f"session:old-{n}", "data": b"\x80", "expiry": long_ago}
            for n in range(100)
        ]
        db.session.execute(insert(SessionRecord), rows)
        db.session.commit()
    SessionActions(app.test_client()).login()
    assert count_rows(app, expired_only=True) == 93  # bounded work: 7 went, not all 100
    assert count_rows(app) == 94  # and the new session is there
