"""What the SQL schema itself decides about users (migration 0005), on SQLite and PostgreSQL.

The port never deletes a user; an operator may, in SQL. Its keys go with it (ON DELETE CASCADE),
while tasks keep the ids of their creator and last changer (no foreign key: tables.py says why).
"""

from sqlalchemy import text

from taskservice.adapters.sql.migrations import create_engine
from taskservice.domain.user import Role, UserDraft
from tests.storage.stores import NOW, draft, get, opened


async def test_deleting_a_user_in_sql_deletes_its_keys_and_leaves_its_tasks(empty_database_url: str) -> None:
    async with opened(empty_database_url) as store:
        async with store.unit_of_work() as work:
            gone = await work.users.add(UserDraft(email="gone@x.io", name="Gone", role=Role.WRITER), NOW)
            kept = await work.users.add(UserDraft(email="kept@x.io", name="Kept", role=Role.WRITER), NOW)
            await work.api_keys.add(gone.id, "laptop", "tsk_gone", "digest-gone", NOW)
            kept_key = await work.api_keys.add(kept.id, "laptop", "tsk_kept", "digest-kept", NOW)
            task = await work.tasks.add(draft("Made by a user who will be gone"), NOW, gone.id)
            await work.commit()

        engine = create_engine(empty_database_url)
        try:
            async with engine.begin() as connection:
                await connection.execute(text("DELETE FROM users WHERE id = :id"), {"id": gone.id})
        finally:
            await engine.dispose()

        async with store.unit_of_work() as work:
            assert await work.api_keys.list_for(gone.id) == []
            assert await work.api_keys.owner("digest-gone") is None
            assert await work.api_keys.list_for(kept.id) == [kept_key]
        assert await get(store, task.id) == task
