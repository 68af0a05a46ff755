import pytest

from taskservice.ports.unit_of_work import Store
from tests.contract.committed import Committed


@pytest.fixture
def repository(store: Store) -> Committed:
    """The task repository of a fresh store of each kind, one committed unit of work per call."""
    return Committed(store)
