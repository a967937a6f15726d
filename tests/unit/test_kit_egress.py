"""The egress guard: which addresses are public, how numeric hosts are read, what the allow-list
opens, and that a destination is judged by every address it resolves to (no network: the
resolver is injected; tests/integration/notification/test_egress.py sends for real)."""

from __future__ import annotations

import ipaddress

import pytest

from gridplus.kit.config import ConfigError, Env
from gridplus.kit.egress import (
    AllowList,
    EgressGuard,
    EgressRefused,
    HostUnresolved,
    IPAddress,
    refusal,
)


class Resolver:
    def __init__(self, **answers: list[str]) -> None:
        self.answers = {name.replace("_", "."): found for name, found in answers.items()}
        self.asked: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[IPAddress]:
        self.asked.append((host, port))
        if host not in self.answers:
            raise HostUnresolved("the host does not resolve")
        return [ipaddress.ip_address(a) for a in self.answers[host]]


def no_lookups(host: str, port: int) -> list[IPAddress]:
    raise AssertionError(f"{host} was looked up")


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("100.64.0.1", "shared (carrier-grade NAT)"),
        ("100.127.255.254", "shared (carrier-grade NAT)"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.251", "multicast"),
        ("239.255.255.250", "multicast"),
        ("ff05::2", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("192.0.2.1", "private"),  # documentation range (TEST-NET-1)
        ("::ffff:127.0.0.1", "loopback (IPv4 inside IPv6)"),
        ("::ffff:10.0.0.1", "private (IPv4 inside IPv6)"),
        ("::127.0.0.1", "loopback (IPv4 inside IPv6)"),
        ("2002:a9fe:a9fe::1", "link-local (IPv4 inside IPv6)"),  # 6to4 of 169.254.169.254
        ("64:ff9b::7f00:1", "reserved"),  # NAT64 of 127.0.0.1
    ],
)
def test_internal_addresses_are_refused_by_kind(address: str, why: str) -> None:
    assert refusal(ipaddress.ip_address(address)) == why


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_pass(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize("host", ["2130706433", "127.1", "0x7f.1", "0177.0.0.1", "0x7f000001"])
def test_numeric_hosts_are_read_as_the_c_library_reads_them_not_looked_up(host: str) -> None:
    guard = EgressGuard(resolver=no_lookups)
    with pytest.raises(EgressRefused, match="the host is a loopback address"):
        guard.check(host, 80)


def test_a_numeric_host_that_is_no_address_is_refused() -> None:
    with pytest.raises(EgressRefused, match="not a valid IPv4 address"):
        EgressGuard(resolver=no_lookups).check("127.0.0.1.1", 80)


def test_every_address_of_a_name_must_pass_and_the_checked_ones_are_kept() -> None:
    resolver = Resolver(hooks_example_org=["93.184.215.14", "10.0.0.7"])
    with pytest.raises(EgressRefused, match="resolves to a private address"):
        EgressGuard(resolver=resolver).check("hooks.example.org", 443)
    resolver.answers["hooks.example.org"] = ["93.184.215.14", "2606:4700::1"]
    destination = EgressGuard(resolver=resolver).check("Hooks.Example.ORG.", 443)
    assert destination.host == "hooks.example.org"
    assert [str(a) for a in destination.addresses] == ["93.184.215.14", "2606:4700::1"]


def test_each_check_asks_the_resolver_again() -> None:
    """A name checked at subscription is checked again at delivery: DNS may have changed."""
    resolver = Resolver(hooks_example_org=["93.184.215.14"])
    guard = EgressGuard(resolver=resolver)
    guard.check("hooks.example.org", 443)
    resolver.answers["hooks.example.org"] = ["169.254.169.254"]
    with pytest.raises(EgressRefused, match="link-local"):
        guard.check("hooks.example.org", 443)
    assert len(resolver.asked) == 2


def test_a_name_without_addresses_is_unresolved_not_refused() -> None:
    with pytest.raises(HostUnresolved):
        EgressGuard(resolver=Resolver()).check("gone.example.org", 443)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/", "http or https"),
        ("http:///path", "http or https"),
        ("http://user:pw@example.org/", "user name or password"),
        ("http://93.184.215.14@127.0.0.1/", "user name or password"),
        ("http://example.org:99999/", "port"),
        ("http://example.org/a b", "spaces or control"),
        ("http://example.org/\r\nX-Injected: 1", "spaces or control"),
        ("http://exa%6dple.org/", "not a valid host name"),
    ],
)
def test_urls_that_hide_their_destination_are_refused(url: str, message: str) -> None:
    with pytest.raises(EgressRefused, match=message):
        EgressGuard(resolver=Resolver(example_org=["93.184.215.14"])).check_url(url)


def test_a_url_keeps_its_path_and_query_and_default_port() -> None:
    target = EgressGuard(resolver=Resolver(example_org=["93.184.215.14"])).check_url(
        "https://example.org/hooks?team=roads"
    )
    assert (target.tls, target.path, target.destination.port) == (True, "/hooks?team=roads", 443)


def test_the_allow_list_opens_what_it_names_and_nothing_more() -> None:
    allow = AllowList.parse(
        "127.0.0.1:8099, 10.20.0.0/16, relay.mail.svc.cluster.local:25, [fd00::/8]:443, ::1"
    )
    resolver = Resolver(
        relay_mail_svc_cluster_local=["10.96.0.25"],
        localhost=["127.0.0.1"],
        other_internal=["10.30.0.1"],
    )
    guard = EgressGuard(allow, resolver=resolver)
    guard.check("127.0.0.1", 8099)
    guard.check("localhost", 8099)  # a name whose address an address rule allows
    guard.check("10.20.3.4", 5000)
    guard.check("relay.mail.svc.cluster.local", 25)
    guard.check("fd00::5", 443)
    guard.check("::1", 1234)
    for host, port in [
        ("127.0.0.1", 8080),  # another port
        ("127.0.0.2", 8099),
        ("relay.mail.svc.cluster.local", 587),
        ("other.internal", 25),
        ("fd00::5", 80),
        ("::ffff:10.30.0.1", 80),
    ]:
        with pytest.raises(EgressRefused):
            guard.check(host, port)


@pytest.mark.parametrize("entry", ["127.1", "10.0.0.0/33", "host:http", "[::1]:0", "a b", "*"])
def test_an_unreadable_allow_list_stops_the_process_naming_the_variable(entry: str) -> None:
    with pytest.raises(ConfigError, match="GRIDPLUS_EGRESS_ALLOW"):
        EgressGuard.from_env(Env({"GRIDPLUS_EGRESS_ALLOW": f"127.0.0.1:8099,{entry}"}))


def test_no_allow_list_means_public_only() -> None:
    guard = EgressGuard.from_env(Env({}))
    with pytest.raises(EgressRefused):
        guard.check("127.0.0.1", 8099)
