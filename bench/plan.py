"""The benchmark's scenarios: what each requests, on which data set, and on which stores.

Each store has a driver floor (pg_floor_app.py, sqlite_floor_app.py) that answers GET by id and
PATCH priority; those two scenarios run on a store's floor too when the store is benched.
"""

from dataclasses import dataclass

from servers import Scenario

# A store's floor is the column "<store> floor".
FLOORED = ("get by id", "PATCH priority")


@dataclass
class Group:
    """One scenario: the data set it runs on, its request, and the stores it runs on."""

    name: str
    label: str
    path: str
    script: str = "get.lua"
    highest: bool = False  # pass the highest seeded id to the script
    stores: tuple[str, ...] = ()

    def columns(self) -> list[str]:
        floors = [f"{store} floor" for store in self.stores if self.name in FLOORED]
        return [*self.stores, *floors]

    def scenario(self, column: str, nonce: str) -> Scenario:
        args = ("10000",) if self.highest else ()
        if self.script == "create_task.lua":
            args = (f"{column}-{nonce}",)  # every POST title of the run is unique
        return Scenario(self.name, column, self.path, self.script, args)


def plan(stores: list[str], only: list[str]) -> list[Group]:
    every = tuple(stores)
    groups = [
        # Liveness does not touch the database: once, on the first store, is enough.
        Group("healthz", "10k", "/healthz", stores=every[:1]),
        Group("get by id", "10k", "/", "get_task.lua", highest=True, stores=every),
        Group("POST", "writes", "/", "create_task.lua", stores=every),
        Group("PATCH priority", "updates", "/", "patch_task.lua", highest=True, stores=every),
        *(
            Group(f"list status=new limit=100 @{s}", s, "/v1/tasks?status=new&limit=100", stores=every)
            for s in ("1k", "10k", "100k")
        ),
        Group(
            "list updated_at offset=5000 @10k",
            "10k",
            "/v1/tasks?order_by=updated_at&offset=5000&limit=100",
            stores=every,
        ),
    ]
    return [g for g in groups if not only or any(text in g.name for text in only)]
