"""The embedded Celery broker: kombu's file-system transport with atomic writes and claims.

kombu's own transport writes a message file in place, so a consumer listing the folder can move and read it before
its writer has finished (celery/kombu#1551): the worker dies with `JSONDecodeError`. It also "claims" a message by
`shutil.move` to the system temp folder, which is a copy when that folder is on another file system, so two
consumers can both read one message. And it rewrites an exchange's binding table by truncating it in place, so a
reader can find it empty.

Here every file appears whole or not at all: it is written under a name no reader looks for and then renamed
(`os.replace`, atomic within one file system). A consumer claims a message by renaming it into its own
`processing` folder beside the queue, so exactly one consumer wins, and only then reads it.

Registered as the `atomicfs://` broker scheme (see `register`); options are those of kombu's transport.
"""

import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from queue import Empty
from time import monotonic

from kombu.transport import TRANSPORT_ALIASES, filesystem, virtual
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

SCHEME = "atomicfs"
# Files being written carry this suffix: no reader matches it (readers look for `<queue>.msg`).
PARTIAL_SUFFIX = ".partial"


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a reader sees either the old file or the whole new one."""
    partial = path.with_name(f"{path.name}.{uuid.uuid4().hex}{PARTIAL_SUFFIX}")
    try:
        with open(partial, "wb") as f:
            f.write(data)
            f.flush()
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


class Channel(filesystem.Channel):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for folder in (self.data_folder_in, self.data_folder_out, self.control_folder, self._processing_folder()):
            Path(folder).mkdir(parents=True, exist_ok=True)

    def _put(self, queue, payload, **kwargs):
        """Put a message on `queue`: the file appears under its final name only once complete."""
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        try:
            write_atomically(Path(self.data_folder_out) / name, str_to_bytes(dumps(payload)))
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot add message {name!r} to {self.data_folder_out}") from exc

    def _get(self, queue):
        """Claim the oldest message of `queue` by renaming it into this broker's processing folder, then read it."""
        wanted = f"{queue}.msg"
        folder = Path(self.data_folder_in)
        processing = self._processing_folder()
        for name in sorted(os.listdir(folder)):
            if name.partition(".")[2] != wanted:
                continue
            claimed = processing / name
            try:
                os.rename(folder / name, claimed)
            except FileNotFoundError:
                continue  # another consumer claimed it first
            try:
                payload = claimed.read_bytes()
            finally:
                claimed.unlink(missing_ok=True)
            return loads(bytes_to_str(payload))
        raise Empty()

    def get_table(self, exchange):
        """The exchange's bindings; the file is replaced whole, so no lock is needed to read it."""
        try:
            return [filesystem.exchange_queue_t(*q) for q in loads(self._exchange_file(exchange).read_bytes())]
        except FileNotFoundError:
            return []

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        binding = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with self._exchange_locked(exchange) as bindings:
            if binding not in bindings:
                bindings.insert(0, binding)

    def _delete(self, queue, exchange, routing_key, pattern, *args, **kwargs):
        virtual.Channel._delete(self, queue, exchange, routing_key, pattern, *args, **kwargs)
        binding = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with self._exchange_locked(exchange) as bindings:
            if binding in bindings:
                bindings.remove(binding)

    @contextmanager
    def _exchange_locked(self, exchange):
        """Read-modify-write an exchange's bindings under a lock file; the table itself is replaced atomically."""
        table = self._exchange_file(exchange)
        with open(table.with_name(f"{table.name}.lock"), "a") as lock_file:
            filesystem.lock(lock_file, filesystem.LOCK_EX)
            try:
                bindings = self.get_table(exchange)
                before = list(bindings)
                yield bindings
                if bindings != before:
                    write_atomically(table, str_to_bytes(dumps(bindings)))
            finally:
                filesystem.unlock(lock_file)

    def _processing_folder(self) -> Path:
        # Beside the queue folder, so the claiming rename never crosses a file system.
        return Path(self.transport_options.get("processing_folder") or Path(self.data_folder_in) / "processing")


class Transport(filesystem.Transport):
    Channel = Channel
    global_state = virtual.BrokerState()
    driver_type = SCHEME
    driver_name = SCHEME


def register() -> None:
    """Make `atomicfs://` a broker URL kombu understands (called where the Celery app is built)."""
    TRANSPORT_ALIASES.setdefault(SCHEME, f"{__name__}:Transport")
