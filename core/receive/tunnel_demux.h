// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "receive/pcapng_writer.h"

#include <QHash>
#include <QHostAddress>
#include <QString>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

namespace podtap::receive {

/// @brief A tunnel sender's address in one comparable form: IPv6, with IPv4 as `::ffff:a.b.c.d` (how a
/// dual-stack socket reports IPv4 peers). Built without allocating, for the per-datagram lookup.
struct TunnelSender
{
    std::array<quint8, 16> bytes {};

    static TunnelSender fromIpv4(quint32 hostOrder);
    static TunnelSender fromIpv6(const quint8 *networkOrder16);
    /// Invalid (all zero) for a null or unparsable address.
    static TunnelSender fromAddress(const QHostAddress &address);
    QHostAddress toAddress() const;
    bool isNull() const;
    bool operator==(const TunnelSender &) const = default;
};

size_t qHash(const TunnelSender &sender, size_t seed = 0) noexcept;

/// @brief Where the frames one sender sends with one VNI go: a pcapng writer's interface, with a direction.
struct TunnelRoute
{
    QHostAddress sender; ///< the node's underlay address (IPv4 or IPv6)
    std::uint32_t vni = 0;
    std::shared_ptr<PcapngWriter> writer; ///< shared by a session's routes; kept alive while a route uses it
    std::uint32_t interfaceId = 0; ///< from writer->addInterface()
    PacketDirection direction = PacketDirection::Unknown;
};

/// @brief What one route delivered: inner frames written and their bytes, and frames the writer dropped.
struct RouteCounters
{
    quint64 packets = 0;
    quint64 bytes = 0;
    quint64 drops = 0;
};

/// @brief Datagrams no route took, by reason, and the kernel's own drops on the socket.
struct PortCounters
{
    quint64 datagrams = 0; ///< every datagram read
    quint64 wrongSource = 0; ///< from an address no route names
    quint64 wrongVni = 0; ///< from a known sender with a VNI none of its routes has
    quint64 malformed = 0; ///< not VXLAN (no I flag), too short for a frame, or cut off by the receive buffer
    /// Datagrams the kernel dropped because the socket's receive buffer was full (SO_RXQ_OVFL). The kernel cannot
    /// say whose they were, so they belong to the port; a session adds them to its own drops.
    quint64 kernelDrops = 0;
};

/// @brief Demultiplexes VXLAN datagrams by (sender, VNI) into pcapng writers, counting what it drops and why.
///
/// The socket-free half of VxlanReceiver: it takes datagrams however they were read, so the Linux batch path, the
/// portable QUdpSocket path and the fuzzer share it. No allocation per datagram.
class TunnelDemux final
{
public:
    /// Adds a route; returns its id (> 0), or 0 with @p error set when the route is incomplete or its (sender,
    /// VNI) is taken already.
    int addRoute(const TunnelRoute &route, QString *error);
    /// Whether addRoute() would take a route from @p sender with @p vni (given a writer with that interface):
    /// false with @p error set when the sender or VNI is not valid or that (sender, VNI) is taken. Lets a session
    /// refuse a target before it writes anything for it.
    bool canAddRoute(const QHostAddress &sender, std::uint32_t vni, QString *error) const;
    /// Removes a route; its writer is released when no other route holds it. False for an unknown id.
    bool removeRoute(int id);
    bool hasRoute(int id) const { return m_keys.contains(id); }
    qsizetype routeCount() const { return m_keys.size(); }

    /// Counters of route @p id (zero for an unknown id).
    RouteCounters routeCounters(int id) const;
    const PortCounters &portCounters() const { return m_port; }
    /// SO_RXQ_OVFL reports a running total; the port keeps the largest seen.
    void noteKernelDrops(quint64 total);

    /// Handles one datagram from @p sender received at @p timestampNs (ns since the Unix epoch). Returns the
    /// id of the route that took it, or 0 when it was dropped.
    int deliver(const TunnelSender &sender, const char *datagram, qsizetype length, std::int64_t timestampNs,
        bool truncated = false);
    /// Hands every writer that got packets since the last call its buffered blocks.
    void flush();

private:
    struct Key
    {
        TunnelSender sender;
        std::uint32_t vni = 0;
        bool operator==(const Key &) const = default;
    };
    friend size_t qHash(const Key &key, size_t seed) noexcept { return qHash(key.sender, seed) ^ key.vni; }

    struct Entry
    {
        int id = 0;
        TunnelRoute route;
        PcapngWriter *writer = nullptr;
        RouteCounters counters;
    };

    QHash<Key, Entry> m_routes;
    QHash<int, Key> m_keys;
    QHash<TunnelSender, int> m_senders; ///< number of routes per sender, to tell a wrong VNI from a wrong source
    std::vector<PcapngWriter *> m_dirty;
    PortCounters m_port;
    int m_nextId = 1;
};

} // namespace podtap::receive
