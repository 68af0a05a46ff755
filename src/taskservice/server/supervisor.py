"""A graceful stop that resets no connection a client could already send on.

Two things in uvicorn (0.54) reset them, each fixed here:

- **The supervisor keeps the listening socket open.** With WORKERS > 1 the workers share one
  socket, bound by the supervisor. A stopping worker closes its copy, but the socket listens as
  long as any process holds it, and uvicorn's supervisor holds it until every worker has exited:
  for that long the kernel completes handshakes nobody will accept, clients send into the queue,
  and all of them are reset when the supervisor exits (uvicorn PR #2010, closed unmerged).
  `ClosingMultiprocess` closes its copy first, then stops the workers.
- **A stopping worker drops what the kernel has queued.** Connections whose handshake is done but
  that the event loop has not accepted yet are reset when the listening socket closes: under load
  there are always a few, and their requests are already on the way. `DrainingServer` accepts
  them all, then closes the socket in the same instant (no await in between), and serves them.

New connections are then refused at once, and every connection the kernel accepted is answered.
gunicorn's arbiter closes its listeners first too, but its UvicornWorker runs uvicorn's own server
and lost 1-6 requests per stop in the same probe (docs/operations.md, "Shutdown").
The supervisor methods below are uvicorn's own, with `DrainingProcess` in place of `Process`.
"""

import asyncio
import socket
from functools import partial

from uvicorn import Server
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Multiprocess, Process, logger


class DrainingServer(Server):
    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        queued = [connection for sock in sockets or () for connection in _accept_queued(sock)]
        for server in self.servers:
            server.close()  # closes the listening socket (uvloop and asyncio use its descriptor)
        for sock in sockets or ():
            sock.close()
        protocol = partial(
            self.config.http_protocol_class,
            config=self.config,
            server_state=self.server_state,
            app_state=self.lifespan.state,
        )
        loop = asyncio.get_running_loop()
        for connection in queued:
            # Each is now one of the server's connections; its protocol serves one request and closes.
            await loop.connect_accepted_socket(protocol, connection)
        await super().shutdown(sockets)


def _accept_queued(sock: socket.socket) -> list[socket.socket]:
    accepted: list[socket.socket] = []
    while True:
        try:
            connection, _ = sock.accept()
        except (BlockingIOError, InterruptedError):
            return accepted
        except OSError:  # e.g. a connection reset while queued: nothing to serve
            continue
        connection.setblocking(False)
        accepted.append(connection)


class DrainingProcess(Process):
    @property
    def server(self) -> Server:
        if self._server is None:
            self._server = DrainingServer(config=self.config)
        return self._server


class ClosingMultiprocess(Multiprocess):
    def terminate_all(self) -> None:
        # Reached only when the supervisor exits (`run` ends its loop), never on a worker restart,
        # which needs the socket: respawns reuse `self.sockets`.
        for sock in self.sockets:
            sock.close()
        super().terminate_all()

    def init_processes(self) -> None:
        for _ in range(self.processes_num):
            process = DrainingProcess(self.config, self.sockets)
            process.start()
            self.processes.append(process)

    def restart_all(self) -> None:
        for idx, old_process in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new_process = DrainingProcess(self.config, self.sockets)
            new_process.start()
            if not new_process.wait_until_ready(self.config.timeout_worker_healthcheck, self.should_exit):
                new_process.kill()
                new_process.join()
                if not self.should_exit.is_set():
                    logger.error(
                        f"New child process [{new_process.pid}] was not ready in time; "
                        f"keeping worker [{old_process.pid}] and aborting the restart."
                    )
                return
            old_process.terminate()
            old_process.join()
            self.processes[idx] = new_process

    def keep_subprocess_alive(self) -> None:
        if self.should_exit.is_set():
            return
        for idx, process in enumerate(self.processes):
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()
            process.join()
            if process.exitcode == STARTUP_FAILURE:
                logger.error(f"Child process [{process.pid}] failed to start, stopping the parent process.")
                self.should_exit.set()
                return
            if self.should_exit.is_set():
                return
            logger.info(f"Child process [{process.pid}] died")
            replacement = DrainingProcess(self.config, self.sockets)
            replacement.start()
            self.processes[idx] = replacement
