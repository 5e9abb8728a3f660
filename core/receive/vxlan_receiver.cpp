// SPDX-License-Identifier: Apache-2.0
#include "receive/vxlan_receiver.h"

#include <QSocketNotifier>
#include <QUdpSocket>
#include <QVariant>

#include <chrono>
#include <cstring>

#if defined(Q_OS_LINUX)
#include <cerrno>
#include <ctime>

#include <arpa/inet.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

namespace podtap::receive {

namespace {

/// Room for any UDP payload: a datagram cut by a smaller slot would lose the end of its frame.
constexpr qsizetype kSlotBytes = 65536;

std::int64_t nowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

QString portInUseHint()
{
    return QStringLiteral("another program receives on it (a kernel VXLAN interface with that dstport, or another "
                          "capture); stop it or choose another tunnel port");
}

#if defined(Q_OS_LINUX)
/// Datagrams per recvmmsg(): large enough that 100k packets/s cost a few thousand system calls.
constexpr int kBatch = 32;
/// Batches per wake-up before returning to the event loop (the notifier fires again if more is queued).
constexpr int kBatchesPerWake = 16;
/// Ancillary data per datagram: a timespec (SO_TIMESTAMPNS) and a 32-bit drop count (SO_RXQ_OVFL).
constexpr qsizetype kControlBytes = CMSG_SPACE(sizeof(timespec)) + CMSG_SPACE(sizeof(quint32)) + 64;

struct BatchHeaders
{
    mmsghdr messages[kBatch];
    iovec vectors[kBatch];
    sockaddr_in6 peers[kBatch];
};
#endif

} // namespace

VxlanReceiver::VxlanReceiver(QObject *parent)
    : QObject(parent)
{
}

VxlanReceiver::~VxlanReceiver()
{
    close();
}

bool VxlanReceiver::bind(const Options &options, QString *error)
{
    if (m_bound) {
        if (error) {
            *error = QStringLiteral("tunnel receiver: already bound to UDP port %1").arg(m_localPort);
        }
        return false;
    }
#if defined(Q_OS_LINUX)
    if (!options.portable) {
        return bindBatched(options, error);
    }
#endif
    return bindPortable(options, error);
}

bool VxlanReceiver::bindPortable(const Options &options, QString *error)
{
    m_udp = new QUdpSocket(this);
    if (!m_udp->bind(options.bindAddress, options.port, QAbstractSocket::DontShareAddress)) {
        if (error) {
            *error =
                QStringLiteral("tunnel receiver: cannot bind UDP port %1 on %2: %3%4")
                    .arg(options.port)
                    .arg(options.bindAddress.toString(), m_udp->errorString(),
                        m_udp->error() == QAbstractSocket::AddressInUseError ? QStringLiteral("; ") + portInUseHint()
                                                                             : QString());
        }
        delete m_udp;
        m_udp = nullptr;
        return false;
    }
    m_udp->setSocketOption(QAbstractSocket::ReceiveBufferSizeSocketOption, options.receiveBufferBytes);
    m_receiveBuffer = m_udp->socketOption(QAbstractSocket::ReceiveBufferSizeSocketOption).toInt();
    m_localPort = m_udp->localPort();
    m_buffers.resize(kSlotBytes);
    connect(m_udp, &QUdpSocket::readyRead, this, &VxlanReceiver::readPortable);
    m_bound = true;
    return true;
}

void VxlanReceiver::readPortable()
{
    while (m_udp && m_udp->hasPendingDatagrams()) {
        QHostAddress peer;
        const qint64 read = m_udp->readDatagram(m_buffers.data(), m_buffers.size(), &peer);
        if (read < 0) {
            break;
        }
        noteDelivered(m_demux.deliver(TunnelSender::fromAddress(peer), m_buffers.constData(), read, nowNs()));
    }
    m_demux.flush();
    announceActive();
}

#if defined(Q_OS_LINUX)
bool VxlanReceiver::bindBatched(const Options &options, QString *error)
{
    const auto fail = [&](const QString &operation, int code) {
        if (error) {
            *error = QStringLiteral("tunnel receiver: %1 for UDP port %2: %3%4")
                         .arg(operation)
                         .arg(options.port)
                         .arg(QString::fromLocal8Bit(std::strerror(code)),
                             code == EADDRINUSE ? QStringLiteral("; ") + portInUseHint() : QString());
        }
        if (m_fd >= 0) {
            ::close(m_fd);
            m_fd = -1;
        }
        return false;
    };
    const QHostAddress &address = options.bindAddress;
    const bool any = address == QHostAddress::Any;
    const bool wantV4 = address.protocol() == QAbstractSocket::IPv4Protocol;
    int family = wantV4 ? AF_INET : AF_INET6;
    m_fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (m_fd < 0 && any && (errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT)) {
        // IPv6 is off on this machine: IPv4 alone.
        family = AF_INET;
        m_fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    }
    if (m_fd < 0) {
        return fail(QStringLiteral("create a UDP socket"), errno);
    }
    if (family == AF_INET6) {
        // Any: one dual-stack socket sees IPv4 senders as ::ffff:a.b.c.d. AnyIPv6 or an IPv6 address: IPv6 only.
        const int v6only = any ? 0 : 1;
        ::setsockopt(m_fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
    }

    // A deep buffer rides out bursts while the event loop is busy. SO_RCVBUFFORCE passes net.core.rmem_max but
    // needs CAP_NET_ADMIN; without it SO_RCVBUF gives what the limit allows.
    const int wanted = options.receiveBufferBytes;
    if (::setsockopt(m_fd, SOL_SOCKET, SO_RCVBUFFORCE, &wanted, sizeof wanted) != 0) {
        ::setsockopt(m_fd, SOL_SOCKET, SO_RCVBUF, &wanted, sizeof wanted);
    }
    int granted = 0;
    socklen_t grantedLength = sizeof granted;
    if (::getsockopt(m_fd, SOL_SOCKET, SO_RCVBUF, &granted, &grantedLength) == 0) {
        m_receiveBuffer = granted;
    }
    const int on = 1;
    m_kernelTimestamps = ::setsockopt(m_fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) == 0;
    m_kernelDropReports = ::setsockopt(m_fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on) == 0;

    sockaddr_storage local {};
    socklen_t localLength = 0;
    if (family == AF_INET) {
        auto *in = reinterpret_cast<sockaddr_in *>(&local);
        in->sin_family = AF_INET;
        in->sin_port = htons(options.port);
        in->sin_addr.s_addr = htonl(any || address == QHostAddress::AnyIPv4 ? INADDR_ANY : address.toIPv4Address());
        localLength = sizeof(sockaddr_in);
    } else {
        auto *in6 = reinterpret_cast<sockaddr_in6 *>(&local);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(options.port);
        if (!any && address != QHostAddress::AnyIPv6) {
            const Q_IPV6ADDR v6 = address.toIPv6Address();
            std::memcpy(&in6->sin6_addr, v6.c, 16);
            in6->sin6_scope_id = address.scopeId().toUInt();
        }
        localLength = sizeof(sockaddr_in6);
    }
    if (::bind(m_fd, reinterpret_cast<const sockaddr *>(&local), localLength) != 0) {
        return fail(QStringLiteral("bind %1").arg(address.toString()), errno);
    }
    sockaddr_storage bound {};
    socklen_t boundLength = sizeof bound;
    if (::getsockname(m_fd, reinterpret_cast<sockaddr *>(&bound), &boundLength) == 0) {
        m_localPort = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<const sockaddr_in *>(&bound)->sin_port
                                                       : reinterpret_cast<const sockaddr_in6 *>(&bound)->sin6_port);
    }

    // Everything a batch needs is allocated here, once.
    m_buffers.resize(kSlotBytes * kBatch);
    m_control.resize(kControlBytes * kBatch);
    m_headers.resize(sizeof(BatchHeaders));
    m_headers.fill('\0');
    m_notifier = new QSocketNotifier(qintptr(m_fd), QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &VxlanReceiver::readBatched);
    m_bound = true;
    return true;
}

void VxlanReceiver::readBatched()
{
    auto *batch = reinterpret_cast<BatchHeaders *>(m_headers.data());
    for (int round = 0; round < kBatchesPerWake && m_fd >= 0; ++round) {
        for (int i = 0; i < kBatch; ++i) {
            batch->vectors[i].iov_base = m_buffers.data() + qsizetype(i) * kSlotBytes;
            batch->vectors[i].iov_len = std::size_t(kSlotBytes);
            msghdr &header = batch->messages[i].msg_hdr;
            header.msg_name = &batch->peers[i];
            header.msg_namelen = sizeof(sockaddr_in6);
            header.msg_iov = &batch->vectors[i];
            header.msg_iovlen = 1;
            header.msg_control = m_control.data() + qsizetype(i) * kControlBytes;
            header.msg_controllen = std::size_t(kControlBytes);
            header.msg_flags = 0;
        }
        const int count = ::recvmmsg(m_fd, batch->messages, kBatch, MSG_DONTWAIT, nullptr);
        if (count <= 0) {
            break; // EAGAIN: drained (other errors, like a queued ICMP error, clear on read)
        }
        const std::int64_t fallbackNs = nowNs();
        for (int i = 0; i < count; ++i) {
            msghdr &header = batch->messages[i].msg_hdr;
            std::int64_t timestampNs = fallbackNs;
            for (cmsghdr *control = CMSG_FIRSTHDR(&header); control; control = CMSG_NXTHDR(&header, control)) {
                if (control->cmsg_level != SOL_SOCKET) {
                    continue;
                }
                if (control->cmsg_type == SCM_TIMESTAMPNS) {
                    timespec stamp {};
                    std::memcpy(&stamp, CMSG_DATA(control), sizeof stamp);
                    timestampNs = std::int64_t(stamp.tv_sec) * 1000000000 + stamp.tv_nsec;
                } else if (control->cmsg_type == SO_RXQ_OVFL) {
                    quint32 dropped = 0;
                    std::memcpy(&dropped, CMSG_DATA(control), sizeof dropped);
                    m_demux.noteKernelDrops(dropped);
                }
            }
            const auto &peer = batch->peers[i];
            TunnelSender sender;
            if (peer.sin6_family == AF_INET6) {
                sender = TunnelSender::fromIpv6(reinterpret_cast<const quint8 *>(&peer.sin6_addr));
            } else if (peer.sin6_family == AF_INET) {
                sender = TunnelSender::fromIpv4(ntohl(reinterpret_cast<const sockaddr_in *>(&peer)->sin_addr.s_addr));
            }
            const bool truncated = (header.msg_flags & MSG_TRUNC) != 0;
            noteDelivered(m_demux.deliver(sender, static_cast<const char *>(batch->vectors[i].iov_base),
                qsizetype(batch->messages[i].msg_len), timestampNs, truncated));
        }
        m_demux.flush();
        if (count < kBatch) {
            break;
        }
    }
    announceActive();
}
#else
bool VxlanReceiver::bindBatched(const Options &options, QString *error)
{
    return bindPortable(options, error);
}

void VxlanReceiver::readBatched() { }
#endif

void VxlanReceiver::readPending()
{
    if (m_fd >= 0) {
        readBatched();
    } else if (m_udp) {
        readPortable();
    }
    updateKernelDrops();
}

void VxlanReceiver::updateKernelDrops()
{
#if defined(Q_OS_LINUX)
    const int fd = m_fd >= 0 ? m_fd : (m_udp ? int(m_udp->socketDescriptor()) : -1);
    if (fd < 0) {
        return;
    }
    // The same counter (sk_drops) SO_RXQ_OVFL reports with each datagram and /proc/net/udp shows.
    std::uint32_t meminfo[SK_MEMINFO_VARS] = {};
    socklen_t length = sizeof meminfo;
    if (::getsockopt(fd, SOL_SOCKET, SO_MEMINFO, meminfo, &length) == 0 &&
        length >= socklen_t((SK_MEMINFO_DROPS + 1) * sizeof(std::uint32_t))) {
        m_kernelDropReports = true;
        m_demux.noteKernelDrops(meminfo[SK_MEMINFO_DROPS]);
    }
#endif
}

void VxlanReceiver::noteDelivered(int routeId)
{
    if (routeId != 0 && !m_active.contains(routeId)) {
        m_active.insert(routeId);
        m_newlyActive.append(routeId);
    }
}

void VxlanReceiver::announceActive()
{
    // Emitted after the batch: a slot may add or remove routes without disturbing the loop above.
    while (!m_newlyActive.isEmpty()) {
        const int routeId = m_newlyActive.takeFirst();
        if (m_demux.hasRoute(routeId)) {
            Q_EMIT routeActive(routeId);
        }
    }
}

bool VxlanReceiver::removeRoute(int id)
{
    m_active.remove(id);
    return m_demux.removeRoute(id);
}

void VxlanReceiver::close()
{
    // The socket's last word on what it dropped, before it goes.
    updateKernelDrops();
    if (m_notifier) {
        m_notifier->setEnabled(false);
        delete m_notifier;
        m_notifier = nullptr;
    }
#if defined(Q_OS_LINUX)
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
#endif
    if (m_udp) {
        m_udp->close();
        delete m_udp;
        m_udp = nullptr;
    }
    m_demux.flush();
    m_bound = false;
}

} // namespace podtap::receive
