"""Where a webhook may be sent: the public internet, unless the operator says otherwise.

An administrator names a subscriber's URL, and the scheduler, inside the city's network,
POSTs to it: without a policy that is a way to reach (and, through the delivery log, to scan)
the machines around it — loopback services, the database, a cloud metadata address. So:

- only http and https, with a host and no user:password part;
- the host is resolved once per attempt, every address it resolves to must be allowed, and the
  connection goes to that address (pinned: a second lookup cannot point it elsewhere);
- loopback, private, link-local, multicast, reserved and unspecified addresses are refused
  unless GRIDCASE_WEBHOOK_ALLOWED_NETWORKS names a network holding them (a city's 12345
  platform on its intranet, the tests' receiver on loopback).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from gridcase.settings import setting

SCHEMES = {"http": 80, "https": 443}


class DestinationRefused(Exception):
    """The URL may not be a webhook's destination; the message says why."""


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str  # as written in the URL (the Host header and the TLS server name)
    port: int
    address: str  # the one address the connection goes to
    target: str  # path and query


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(n, strict=False) for n in setting("GRIDCASE_WEBHOOK_ALLOWED_NETWORKS")]


def _address_problem(address: str) -> str | None:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if any(ip in network for network in _allowed_networks()):
        return None
    if ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast:
        return "an address inside this network"
    if ip.is_reserved or ip.is_unspecified or not ip.is_global:
        return "not a public address"
    return None


def parse(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, target) of an acceptable URL.

    Raises:
        DestinationRefused: not http(s), no host, a user:password part, a bad port.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in SCHEMES:
        raise DestinationRefused("A webhook URL starts with http:// or https://.")
    if parts.username is not None or parts.password is not None:
        raise DestinationRefused("A webhook URL carries no user name or password.")
    if not parts.hostname:
        raise DestinationRefused("A webhook URL names a host.")
    try:
        port = parts.port or SCHEMES[parts.scheme]
    except ValueError:
        raise DestinationRefused("The URL's port is not a number from 1 to 65535.") from None
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, target


def resolve(url: str) -> Destination:
    """The destination of `url`, resolved now and checked.

    Raises:
        DestinationRefused: the URL is not acceptable, its host does not resolve, or one of the
            addresses it resolves to is not allowed.
    """
    scheme, host, port, target = parse(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise DestinationRefused(f"The host {host} does not resolve ({exc}).") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for address in addresses:
        if problem := _address_problem(address):
            raise DestinationRefused(
                f"The host {host} resolves to {address}, {problem}; webhooks go to public hosts."
            )
    return Destination(scheme, host, port, addresses[0], target)


def check_url(url: str) -> None:
    """Refuse, when a subscriber is set up or changed, a URL that could never be delivered to:
    its form, and the addresses its host resolves to now (a host that does not resolve yet is
    accepted; each delivery resolves and checks again).

    Raises:
        DestinationRefused: as `resolve`, but for a host that does not resolve.
    """
    parse(url)
    try:
        resolve(url)
    except DestinationRefused as exc:
        if "does not resolve" not in str(exc):
            raise
