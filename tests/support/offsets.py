"""What a consumer group has committed: proof that it handled a record, so a test can assert that
handling it changed nothing without sleeping and hoping the consumer was not merely slow."""

from __future__ import annotations

from kafka import KafkaConsumer, TopicPartition

from tests.support.eventually import eventually


def wait_for_commit(
    bootstrap: str, group: str, topic: str, partition: int, offset: int, *, timeout: float = 30.0
) -> None:
    """Until `group` has committed past `offset` on `topic`/`partition`."""
    probe = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    where = TopicPartition(topic, partition)
    try:
        eventually(
            lambda: (probe.committed(where) or -1) > offset,
            f"group {group} commits past {topic}[{partition}]@{offset}",
            timeout=timeout,
            interval=0.1,
        )
    finally:
        probe.close()
