"""Integration fixtures: a rolled-back transaction per test, users, tokens and an API client."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so

from gridcase.extensions import db
from gridcase.people.auth import create_user, issue_token
from gridcase.people.models import User
from tests.helpers import CITY, FENGQIAO, grid_in
from tests.loopback import Receiver


@pytest.fixture(autouse=True)
def transaction(app, request):
    """Run the test in a transaction that is rolled back at its end.

    The session joins the outer transaction with SAVEPOINTs, so code under test may commit
    (views and CLI commands do) without anything reaching the database for good.

    Tests marked `committing` (concurrency tests: several connections must see each other's
    commits) run on the real database and remove what they made themselves.
    """
    if request.node.get_closest_marker("committing"):
        yield None
        return
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        # A plain SQLAlchemy session: Flask-SQLAlchemy's own would pick the engine over `bind`.
        db.session = so.scoped_session(
            so.sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
            scopefunc=original.registry.scopefunc,
        )
        try:
            yield connection
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def client(app):
    return app.test_client()


_sequence = itertools.count(1)


@pytest.fixture
def make_user():
    """Create a user with a role and scope; flushed, never committed."""

    def make(role: str, scope_code: str, username: str | None = None, **kwargs) -> User:
        username = username or f"{role}-{next(_sequence)}"
        return create_user(username, "correct-horse-battery", role, scope_code, **kwargs)

    return make


@dataclass
class ApiClient:
    """The test client, signed in as one user."""

    client: object
    user: User
    token: str

    def _headers(self, headers):
        return {"Authorization": f"Bearer {self.token}", **(headers or {})}

    def get(self, path, headers=None, **kwargs):
        return self.client.get(path, headers=self._headers(headers), **kwargs)

    def post(self, path, json=None, headers=None, **kwargs):
        return self.client.post(path, json=json, headers=self._headers(headers), **kwargs)

    def patch(self, path, json=None, headers=None, **kwargs):
        return self.client.patch(path, json=json, headers=self._headers(headers), **kwargs)

    def put(self, path, json=None, headers=None, **kwargs):
        return self.client.put(path, json=json, headers=self._headers(headers), **kwargs)


@pytest.fixture
def api_as(client, request):
    """`api_as(user)`: an API client signed in as `user`. In a module that sets
    `COMMIT_SIGN_IN = True`, the token is committed (a refused request then keeps it)."""

    def sign_in(user: User) -> ApiClient:
        token, _ = issue_token(user)
        if getattr(request.module, "COMMIT_SIGN_IN", False):
            db.session.commit()
        return ApiClient(client, user, token)

    return sign_in


@pytest.fixture
def people(make_user) -> dict[str, User]:
    """The people around a case of 枫桥镇's first grid: its grid worker (and another grid's), two
    mediators of its community, two coordinators of the township, a city commander and a case
    officer of the township's 人力社保所."""
    grid = grid_in(FENGQIAO)
    return {
        "worker": make_user("grid_worker", grid.code),
        "other_worker": make_user("grid_worker", grid_in(FENGQIAO, 1).code),
        "mediator": make_user("community_mediator", grid.community_code),
        "mediator_2": make_user("community_mediator", grid.community_code),
        "township": make_user("township_coordinator", FENGQIAO),
        "township_2": make_user("township_coordinator", FENGQIAO),
        "city": make_user("city_commander", CITY),
        "unit": make_user("unit_handler", None, unit_code=f"{FENGQIAO}-rlsbs"),
    }


@pytest.fixture
def worker(make_user):
    """A grid worker of the first grid of 枫桥镇."""
    return make_user("grid_worker", grid_in(FENGQIAO).code)


@pytest.fixture
def receiver():
    """`receiver(script={path: [statuses]})`: a real HTTP receiver of webhooks on loopback."""
    made = []

    def make(**kwargs) -> Receiver:
        made.append(Receiver(**kwargs))
        return made[-1]

    yield make
    for hook in made:
        hook.stop()


@pytest.fixture
def statements(app):
    """The statements sent to PostgreSQL while the test runs, in order."""
    sent: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", note)
    yield sent
    sa.event.remove(engine, "before_cursor_execute", note)
