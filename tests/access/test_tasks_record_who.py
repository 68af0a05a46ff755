"""Tasks record who created them and who last changed them, on every write route."""

from taskservice.domain.user import Role
from tests.access.conftest import World


async def test_created_by_and_updated_by_follow_the_callers(world: World) -> None:
    writer, admin = world.users[Role.WRITER], world.users[Role.ADMIN]
    created = (
        await world.client.post("/v1/tasks", json={"title": "t", "priority": 1}, headers=world.as_(Role.WRITER))
    ).json()
    assert (created["created_by"], created["updated_by"]) == (writer.id, writer.id)

    patched = (await world.client.patch("/v1/tasks/1", json={"priority": 2}, headers=world.as_(Role.ADMIN))).json()
    assert (patched["created_by"], patched["updated_by"]) == (writer.id, admin.id)

    replaced = (
        await world.client.put("/v1/tasks/1", json={"title": "t", "priority": 3}, headers=world.as_(Role.WRITER))
    ).json()
    assert (replaced["created_by"], replaced["updated_by"]) == (writer.id, writer.id)
    fetched = (await world.client.get("/v1/tasks/1", headers=world.as_(Role.READER))).json()
    assert fetched == replaced
    listed = (await world.client.get("/v1/tasks", headers=world.as_(Role.READER))).json()["items"]
    assert listed == [replaced]


async def test_a_write_that_changes_nothing_keeps_updated_by(world: World) -> None:
    writer = world.users[Role.WRITER]
    await world.client.post("/v1/tasks", json={"title": "t", "priority": 1}, headers=world.as_(Role.WRITER))
    same = (await world.client.patch("/v1/tasks/1", json={"priority": 1}, headers=world.as_(Role.ADMIN))).json()
    assert (same["updated_by"], same["version"]) == (writer.id, 1)
