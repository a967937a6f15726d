"""Replay dead letters: move events from `<topic>.dlq` back onto `<topic>` once their cause is
fixed. Consumers still drop any event they had applied, so a replay is safe to repeat.

    python -m gridplus.kit.dlq replay gridplus.petition.events.v1 --group dispatch
"""

from __future__ import annotations

import argparse
import logging

from kafka import KafkaConsumer, KafkaProducer

from gridplus.kit import kafka
from gridplus.kit.config import Env, KafkaSettings
from gridplus.kit.topology import dlq_topic

log = logging.getLogger(__name__)

_DLQ_HEADER_PREFIX = "x-gridplus-"


def replay(
    consumer: KafkaConsumer, producer: KafkaProducer, topic: str, *, only_group: str | None
) -> int:
    """Republish every dead letter of `topic` (optionally only those a given consumer group
    gave up on); returns how many. Offsets on the DLQ are committed as it goes."""
    replayed = 0
    for record in consumer:
        headers = dict(record.headers or [])
        failed_in = headers.get("x-gridplus-consumer", b"").decode()
        if only_group is None or failed_in == only_group:
            original = [(k, v) for k, v in record.headers if not k.startswith(_DLQ_HEADER_PREFIX)]
            producer.send(topic, key=record.key, value=record.value, headers=original).get(30)
            replayed += 1
        consumer.commit()
    producer.flush()
    return replayed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gridplus.kit.dlq")
    parser.add_argument("command", choices=["replay"])
    parser.add_argument("topic", help="the original topic, e.g. gridplus.petition.events.v1")
    parser.add_argument("--group", help="only events this consumer group dead-lettered")
    args = parser.parse_args(argv)
    settings = KafkaSettings.from_env(Env())
    # Stop once the dead-letter topic is drained instead of waiting for new letters.
    consumer = kafka.create_consumer(
        settings, "gridplus-dlq-replay", "gridplus-dlq-replay", consumer_timeout_ms=5000
    )
    consumer.subscribe([dlq_topic(args.topic)])
    producer = kafka.create_producer(settings, "gridplus-dlq-replay")
    try:
        count = replay(consumer, producer, args.topic, only_group=args.group)
    finally:
        consumer.close()
        producer.close()
    print(f"replayed {count} event(s) from {dlq_topic(args.topic)} to {args.topic}")


if __name__ == "__main__":
    main()
