"""Read a consumer group's committed offsets over the Kafka protocol, with the standard library only.

Two requests are enough: FindCoordinator (v0) to find the group's coordinator and OffsetFetch (v1) to read the
committed offset and metadata of each partition. Connections go to 127.0.0.1 only, because the test runs against
the mock cluster that `eqlstream dev-broker` starts on this machine.
"""

import socket
import struct

FIND_COORDINATOR = 10
OFFSET_FETCH = 9


def encode_string(text):
    data = text.encode()
    return struct.pack(">h", len(data)) + data


class Connection:
    """One blocking connection to a broker on 127.0.0.1."""

    def __init__(self, host, port, timeout=5.0):
        if host not in ("127.0.0.1", "localhost"):
            raise ValueError(f"rejected connection to {host}: the fault test connects to 127.0.0.1 only")
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.correlation = 0

    def close(self):
        self.sock.close()

    def request(self, api_key, version, body):
        self.correlation += 1
        payload = struct.pack(">hhi", api_key, version, self.correlation) + encode_string("faulttest") + body
        self.sock.sendall(struct.pack(">i", len(payload)) + payload)
        size = struct.unpack(">i", self._read(4))[0]
        return self._read(size)[4:]  # the response starts with the correlation id

    def _read(self, count):
        data = b""
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            if not chunk:
                raise ConnectionError("connection closed by the broker")
            data += chunk
        return data


class Reader:
    """Decodes big-endian protocol fields from a response body."""

    def __init__(self, data):
        self.data = data
        self.position = 0

    def take(self, fmt):
        value = struct.unpack_from(fmt, self.data, self.position)[0]
        self.position += struct.calcsize(fmt)
        return value

    def string(self):
        length = self.take(">h")
        if length < 0:
            return None
        text = self.data[self.position:self.position + length].decode(errors="replace")
        self.position += length
        return text


def find_coordinator(bootstrap, group):
    """Returns (host, port) of the group's coordinator, or None when every broker fails or returns an error."""
    for address in bootstrap.split(","):
        host, port = address.rsplit(":", 1)
        try:
            connection = Connection(host, int(port))
            try:
                reader = Reader(connection.request(FIND_COORDINATOR, 0, encode_string(group)))
            finally:
                connection.close()
        except (OSError, ConnectionError, struct.error):
            continue
        error = reader.take(">h")
        reader.take(">i")  # node id
        coordinator_host, coordinator_port = reader.string(), reader.take(">i")
        if error == 0:
            return coordinator_host, coordinator_port
    return None


def fetch_committed(connection, group, topic, partitions):
    """Returns {partition: (offset, metadata)} for the partitions that have a committed offset."""
    body = encode_string(group) + struct.pack(">i", 1) + encode_string(topic) + struct.pack(">i", len(partitions))
    body += b"".join(struct.pack(">i", partition) for partition in partitions)
    reader = Reader(connection.request(OFFSET_FETCH, 1, body))
    result = {}
    for _ in range(reader.take(">i")):
        reader.string()
        for _ in range(reader.take(">i")):
            partition, offset = reader.take(">i"), reader.take(">q")
            metadata, error = reader.string(), reader.take(">h")
            if error == 0 and offset >= 0:
                result[partition] = (offset, metadata or "")
    return result
