// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "receive/tunnel_demux.h"

#include <QHostAddress>
#include <QObject>
#include <QSet>
#include <QString>

class QSocketNotifier;
class QUdpSocket;

namespace podtap::receive {

/// @brief Receives the VXLAN tunnel on one UDP port in userspace and writes the inner frames as pcapng: no root,
/// no interface, only a socket.
///
/// Sessions register routes `{sender IP, VNI, pcapng writer + interface id, direction}` (addRoute()); several
/// sessions share one port and are told apart by sender and VNI (TunnelPortRegistry hands out one receiver per
/// port). Everything else is counted by reason and dropped (PortCounters).
///
/// On Linux the socket is non-blocking and read in batches with recvmmsg() when a QSocketNotifier fires; it asks
/// for a large receive buffer (SO_RCVBUFFORCE, which needs CAP_NET_ADMIN, then SO_RCVBUF, which the kernel caps at
/// net.core.rmem_max), the kernel's receive timestamps (SO_TIMESTAMPNS) and its drop count (SO_RXQ_OVFL). Elsewhere,
/// or with Options::portable, a QUdpSocket reads one datagram at a time and the timestamp is the read time.
/// Each batch ends with one write per writer, so a reader sees packets within one event-loop turn.
///
/// Counters are polled (routeCounters(), portCounters()): the console reads them on its own timer.
class VxlanReceiver final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(VxlanReceiver)

public:
    struct Options
    {
        /// 0 picks a free port (tests); localPort() tells which.
        quint16 port = 4789;
        /// QHostAddress::Any binds IPv4 and IPv6 on one dual-stack socket (IPv4 alone where IPv6 is off).
        QHostAddress bindAddress = QHostAddress::Any;
        /// Asked for; the kernel may grant less (receiveBufferBytes() says what it granted).
        int receiveBufferBytes = 32 * 1024 * 1024;
        /// Use the QUdpSocket path even where the batch path exists.
        bool portable = false;
    };

    explicit VxlanReceiver(QObject *parent = nullptr);
    ~VxlanReceiver() override;

    /// Binds the socket. On failure returns false with @p error naming the port, the reason and what to do.
    bool bind(const Options &options, QString *error);
    bool isBound() const { return m_bound; }
    quint16 localPort() const { return m_localPort; }
    /// True when datagrams are read in batches (recvmmsg) rather than one by one.
    bool isBatched() const { return m_fd >= 0; }
    /// The receive buffer the kernel granted, in bytes (as getsockopt reports it), or -1 when unknown.
    int receiveBufferBytes() const { return m_receiveBuffer; }
    /// True when packet timestamps come from the kernel (SO_TIMESTAMPNS) rather than from the read.
    bool hasKernelTimestamps() const { return m_kernelTimestamps; }
    /// True when the kernel reports its socket drops (SO_RXQ_OVFL with each datagram, SO_MEMINFO on demand) into
    /// PortCounters::kernelDrops.
    bool reportsKernelDrops() const { return m_kernelDropReports; }

    /// See TunnelDemux::addRoute.
    int addRoute(const TunnelRoute &route, QString *error) { return m_demux.addRoute(route, error); }
    /// See TunnelDemux::canAddRoute.
    bool canAddRoute(const QHostAddress &sender, std::uint32_t vni, QString *error) const
    {
        return m_demux.canAddRoute(sender, vni, error);
    }
    /// Removes the route and flushes its writer. A route's counters are gone afterwards: read them first.
    bool removeRoute(int id);
    RouteCounters routeCounters(int id) const { return m_demux.routeCounters(id); }
    const PortCounters &portCounters() const { return m_demux.portCounters(); }
    qsizetype routeCount() const { return m_demux.routeCount(); }

    /// Reads whatever is queued now (normally the event loop does this), then updateKernelDrops().
    void readPending();
    /// Asks the kernel for the socket's drop count now (SO_MEMINFO). SO_RXQ_OVFL only tells it with the next
    /// datagram read, so drops after the last datagram would otherwise go unreported; a session calls this
    /// before its last look at the counters (LocalCapture's stop and counter polls).
    void updateKernelDrops();
    /// Stops receiving and closes the socket; routes stay (and their writers are flushed).
    void close();

Q_SIGNALS:
    /// The first datagram for route @p routeId arrived: the tunnel reaches this machine.
    void routeActive(int routeId);

private:
    bool bindBatched(const Options &options, QString *error);
    bool bindPortable(const Options &options, QString *error);
    void readBatched();
    void readPortable();
    void noteDelivered(int routeId);
    void announceActive();

    TunnelDemux m_demux;
    bool m_bound = false;
    quint16 m_localPort = 0;
    int m_receiveBuffer = -1;
    bool m_kernelTimestamps = false;
    bool m_kernelDropReports = false;
    int m_fd = -1;
    QSocketNotifier *m_notifier = nullptr;
    QUdpSocket *m_udp = nullptr;
    QByteArray m_buffers; ///< one slot per datagram of a batch, allocated once at bind
    QByteArray m_control; ///< ancillary data (timestamp, drop count) per slot
    QByteArray m_headers; ///< the mmsghdr/iovec/sockaddr array recvmmsg fills, allocated once
    QSet<int> m_active; ///< routes that have seen a datagram
    QList<int> m_newlyActive;
};

} // namespace podtap::receive
