// SPDX-License-Identifier: Apache-2.0
#include "receive/tunnel_demux.h"

#include "receive/vxlan_header.h"

#include <QHashFunctions>

#include <algorithm>
#include <cstring>

namespace podtap::receive {

TunnelSender TunnelSender::fromIpv4(quint32 hostOrder)
{
    TunnelSender sender;
    sender.bytes[10] = 0xFF;
    sender.bytes[11] = 0xFF;
    sender.bytes[12] = quint8(hostOrder >> 24);
    sender.bytes[13] = quint8(hostOrder >> 16);
    sender.bytes[14] = quint8(hostOrder >> 8);
    sender.bytes[15] = quint8(hostOrder);
    return sender;
}

TunnelSender TunnelSender::fromIpv6(const quint8 *networkOrder16)
{
    TunnelSender sender;
    std::memcpy(sender.bytes.data(), networkOrder16, 16);
    return sender;
}

TunnelSender TunnelSender::fromAddress(const QHostAddress &address)
{
    if (address.protocol() == QAbstractSocket::IPv4Protocol) {
        return fromIpv4(address.toIPv4Address());
    }
    if (address.protocol() == QAbstractSocket::IPv6Protocol) {
        const Q_IPV6ADDR v6 = address.toIPv6Address();
        return fromIpv6(v6.c);
    }
    return {};
}

QHostAddress TunnelSender::toAddress() const
{
    QHostAddress address(bytes.data());
    bool mapped = false;
    const quint32 v4 = address.toIPv4Address(&mapped);
    return mapped ? QHostAddress(v4) : address;
}

bool TunnelSender::isNull() const
{
    return std::all_of(bytes.cbegin(), bytes.cend(), [](quint8 b) { return b == 0; });
}

size_t qHash(const TunnelSender &sender, size_t seed) noexcept
{
    return qHashBits(sender.bytes.data(), sender.bytes.size(), seed);
}

bool TunnelDemux::canAddRoute(const QHostAddress &sender, std::uint32_t vni, QString *error) const
{
    const auto fail = [error](const QString &why) {
        if (error) {
            *error = why;
        }
        return false;
    };
    const TunnelSender key = TunnelSender::fromAddress(sender);
    if (key.isNull() || sender == QHostAddress::AnyIPv4 || sender == QHostAddress::AnyIPv6 || sender.isMulticast() ||
        sender.isBroadcast()) {
        return fail(QStringLiteral("tunnel route: the sender address \"%1\" is not a node's unicast address; "
                                   "give the IP the node sends VXLAN from")
                        .arg(sender.toString()));
    }
    if (vni > kMaxVni) {
        return fail(QStringLiteral("tunnel route from %1: VNI %2 does not fit in 24 bits; use 0 to %3")
                        .arg(sender.toString())
                        .arg(vni)
                        .arg(kMaxVni));
    }
    if (m_routes.contains(Key {key, vni})) {
        return fail(QStringLiteral("tunnel route from %1 VNI %2: another session on this port (or another pod of "
                                   "this one) receives that sender and VNI already; choose another VNI")
                        .arg(sender.toString())
                        .arg(vni));
    }
    return true;
}

int TunnelDemux::addRoute(const TunnelRoute &route, QString *error)
{
    if (!canAddRoute(route.sender, route.vni, error)) {
        return 0;
    }
    if (!route.writer || route.interfaceId >= route.writer->interfaceCount()) {
        if (error) {
            *error = QStringLiteral("tunnel route from %1 VNI %2: no pcapng interface to write to; add the interface "
                                    "to the writer before the route")
                         .arg(route.sender.toString())
                         .arg(route.vni);
        }
        return 0;
    }
    const Key key {TunnelSender::fromAddress(route.sender), route.vni};
    Entry entry;
    entry.id = m_nextId++;
    entry.route = route;
    entry.writer = route.writer.get();
    m_routes.insert(key, entry);
    m_keys.insert(entry.id, key);
    ++m_senders[key.sender];
    m_dirty.reserve(std::size_t(m_routes.size()));
    return entry.id;
}

bool TunnelDemux::removeRoute(int id)
{
    const auto key = m_keys.constFind(id);
    if (key == m_keys.cend()) {
        return false;
    }
    const Key found = *key;
    const auto route = m_routes.constFind(found);
    if (route != m_routes.cend()) {
        // What the route's writer still buffers goes out now: the session may release the writer next. A route
        // sharing the writer marks it again with its next packet.
        route->writer->flush();
        m_dirty.erase(std::remove(m_dirty.begin(), m_dirty.end(), route->writer), m_dirty.end());
        m_routes.erase(route);
    }
    m_keys.erase(key);
    if (--m_senders[found.sender] <= 0) {
        m_senders.remove(found.sender);
    }
    return true;
}

RouteCounters TunnelDemux::routeCounters(int id) const
{
    const auto key = m_keys.constFind(id);
    return key == m_keys.cend() ? RouteCounters {} : m_routes.value(*key).counters;
}

void TunnelDemux::noteKernelDrops(quint64 total)
{
    m_port.kernelDrops = std::max(m_port.kernelDrops, total);
}

int TunnelDemux::deliver(
    const TunnelSender &sender, const char *datagram, qsizetype length, std::int64_t timestampNs, bool truncated)
{
    ++m_port.datagrams;
    if (!m_senders.contains(sender)) {
        ++m_port.wrongSource;
        return 0;
    }
    const VxlanPayload payload = parseVxlan(datagram, length);
    if (!payload.valid || truncated) {
        ++m_port.malformed;
        return 0;
    }
    const auto found = m_routes.find(Key {sender, payload.vni});
    if (found == m_routes.end()) {
        ++m_port.wrongVni;
        return 0;
    }
    Entry &entry = *found;
    if (!entry.writer->writePacket(
            entry.route.interfaceId, timestampNs, entry.route.direction, payload.frame, payload.frameLength)) {
        ++entry.counters.drops;
        return 0;
    }
    ++entry.counters.packets;
    entry.counters.bytes += quint64(payload.frameLength);
    if (m_dirty.empty() ||
        (m_dirty.back() != entry.writer &&
            std::find(m_dirty.cbegin(), m_dirty.cend(), entry.writer) == m_dirty.cend())) {
        m_dirty.push_back(entry.writer);
    }
    return entry.id;
}

void TunnelDemux::flush()
{
    for (PcapngWriter *writer : m_dirty) {
        writer->flush();
    }
    m_dirty.clear();
}

} // namespace podtap::receive
