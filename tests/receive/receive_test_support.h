// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "support/process.h"

#include <QByteArray>
#include <QFile>
#include <QHostAddress>
#include <QList>
#include <QStandardPaths>
#include <QString>
#include <QStringList>
#include <QtEndian>

#include <cstdint>
#include <cstring>

/// What the receive tests share: frames to send, VXLAN datagrams, a pcapng block walker and tshark.
namespace podtap::test::receive {

/// An Ethernet + IPv4 + UDP frame from @p source to @p destination carrying @p payload (checksums left zero:
/// tshark does not verify them by default).
inline QByteArray udpFrame(const QHostAddress &source, const QHostAddress &destination, const QByteArray &payload)
{
    QByteArray frame;
    const bool v6 = source.protocol() == QAbstractSocket::IPv6Protocol;
    frame.append(QByteArray::fromHex("020000000002020000000001"));
    frame.append(v6 ? QByteArray::fromHex("86dd") : QByteArray::fromHex("0800"));
    const quint16 udpLength = quint16(8 + payload.size());
    QByteArray udp;
    udp.append(QByteArray::fromHex("30393039")); // ports 12345 -> 12345
    udp.append(char(udpLength >> 8)).append(char(udpLength & 0xFF));
    udp.append(QByteArray::fromHex("0000"));
    udp.append(payload);
    if (v6) {
        QByteArray ip = QByteArray::fromHex("60000000");
        ip.append(char(udp.size() >> 8)).append(char(udp.size() & 0xFF));
        ip.append(char(17)).append(char(64));
        const Q_IPV6ADDR s = source.toIPv6Address();
        const Q_IPV6ADDR d = destination.toIPv6Address();
        ip.append(reinterpret_cast<const char *>(s.c), 16);
        ip.append(reinterpret_cast<const char *>(d.c), 16);
        frame.append(ip);
    } else {
        const quint16 total = quint16(20 + udp.size());
        QByteArray ip = QByteArray::fromHex("4500");
        ip.append(char(total >> 8)).append(char(total & 0xFF));
        ip.append(QByteArray::fromHex("00004000")); // id 0, don't fragment
        ip.append(char(64)).append(char(17)).append(QByteArray::fromHex("0000"));
        const quint32 s = qToBigEndian(source.toIPv4Address());
        const quint32 d = qToBigEndian(destination.toIPv4Address());
        ip.append(reinterpret_cast<const char *>(&s), 4);
        ip.append(reinterpret_cast<const char *>(&d), 4);
        frame.append(ip);
    }
    frame.append(udp);
    return frame;
}

/// A VXLAN datagram (RFC 7348) carrying @p frame with @p vni and the given flags byte.
inline QByteArray vxlanDatagram(std::uint32_t vni, const QByteArray &frame, quint8 flags = 0x08)
{
    QByteArray datagram(8, '\0');
    datagram[0] = char(flags);
    datagram[4] = char((vni >> 16) & 0xFF);
    datagram[5] = char((vni >> 8) & 0xFF);
    datagram[6] = char(vni & 0xFF);
    return datagram + frame;
}

/// @brief One pcapng block as found in a file.
struct Block
{
    std::uint32_t type = 0;
    std::uint32_t length = 0;
};

/// Walks the blocks of a host-endian pcapng file. Sets @p error when a block is cut, its length is not a multiple
/// of 4, or its trailing length differs from the leading one.
inline QList<Block> pcapngBlocks(const QByteArray &file, QString *error)
{
    QList<Block> blocks;
    qsizetype at = 0;
    while (at < file.size()) {
        if (file.size() - at < 12) {
            *error = QStringLiteral("a block header is cut at offset %1").arg(at);
            return blocks;
        }
        Block block;
        std::memcpy(&block.type, file.constData() + at, 4);
        std::memcpy(&block.length, file.constData() + at + 4, 4);
        if (block.length < 12 || block.length % 4 != 0 || qsizetype(block.length) > file.size() - at) {
            *error = QStringLiteral("block at offset %1 has a bad length %2").arg(at).arg(block.length);
            return blocks;
        }
        std::uint32_t trailing = 0;
        std::memcpy(&trailing, file.constData() + at + block.length - 4, 4);
        if (trailing != block.length) {
            *error = QStringLiteral("block at offset %1: trailing length %2 differs").arg(at).arg(trailing);
            return blocks;
        }
        blocks.append(block);
        at += block.length;
    }
    return blocks;
}

inline QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

inline bool haveTshark()
{
    return !QStandardPaths::findExecutable(QStringLiteral("tshark")).isEmpty();
}

/// `tshark -r FILE [extra] -T fields -e ...`: one row per packet. Fails the test when tshark fails.
inline QList<QStringList> tsharkFields(const QString &file, const QStringList &fields, const QStringList &extra = {})
{
    QStringList command {QStringLiteral("tshark"), QStringLiteral("-r"), file};
    command += extra;
    command += {QStringLiteral("-T"), QStringLiteral("fields"), QStringLiteral("-E"), QStringLiteral("separator=|")};
    for (const QString &field : fields) {
        command += {QStringLiteral("-e"), field};
    }
    const QByteArray out = mustRun(command, 60000);
    QList<QStringList> rows;
    for (const QByteArray &line : out.split('\n')) {
        if (!line.isEmpty()) {
            rows.append(QString::fromUtf8(line).split(QLatin1Char('|')));
        }
    }
    return rows;
}

/// The kernel's own drop count for the IPv4 UDP socket bound to @p port (the last column of /proc/net/udp), or -1
/// when no such socket is listed.
inline qint64 procUdpDrops(quint16 port)
{
    QFile table(QStringLiteral("/proc/net/udp"));
    if (!table.open(QIODevice::ReadOnly)) {
        return -1;
    }
    const QByteArray wanted = QByteArray(":") + QByteArray::number(port, 16).toUpper().rightJustified(4, '0');
    for (const QByteArray &line : table.readAll().split('\n')) {
        const QList<QByteArray> fields = line.simplified().split(' ');
        if (fields.size() > 2 && fields.at(1).endsWith(wanted)) {
            return fields.last().toLongLong();
        }
    }
    return -1;
}

/// `ip -n NS ARGS...`, with @p args split on spaces.
inline QStringList ipIn(const QString &ns, const QString &args)
{
    return QStringList {QStringLiteral("ip"), QStringLiteral("-n"), ns} + args.split(QLatin1Char(' '));
}

/// @brief One VXLAN device in the sender namespace, toward the workstation's receiver.
struct SenderDevice
{
    const char *name;
    int vni;
    const char *local; ///< its underlay source, 198.51.100.1 or .3 (two "nodes")
    const char *address; ///< its own address with prefix; traffic to the prefix leaves through it as VXLAN
    const char *neighbour; ///< an address in the prefix with a permanent neighbour entry, to send to
};

/// Makes a receiver test's two namespaces: @p senders (underlay 198.51.100.1 and .3, standing for two nodes) and
/// @p workstation (198.51.100.2), joined by a veth, IPv6 off (router and listener chatter would join the marker
/// flows), and in @p senders one VXLAN device per @p devices sending to the workstation on @p port.
inline void makeSenderNamespaces(
    const QString &senders, const QString &workstation, const QList<SenderDevice> &devices, int port)
{
    mustRun({QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("add"), senders});
    mustRun({QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("add"), workstation});
    for (const QString &ns : {senders, workstation}) {
        mustRun({QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("exec"), ns, QStringLiteral("sysctl"),
            QStringLiteral("-qw"), QStringLiteral("net.ipv6.conf.all.disable_ipv6=1"),
            QStringLiteral("net.ipv6.conf.default.disable_ipv6=1")});
    }
    mustRun(ipIn(senders, QStringLiteral("link add ul0 type veth peer name ul0 netns %1").arg(workstation)));
    mustRun(ipIn(senders, QStringLiteral("addr add 198.51.100.1/24 dev ul0")));
    mustRun(ipIn(senders, QStringLiteral("addr add 198.51.100.3/24 dev ul0")));
    mustRun(ipIn(workstation, QStringLiteral("addr add 198.51.100.2/24 dev ul0")));
    for (const QString &ns : {senders, workstation}) {
        mustRun(ipIn(ns, QStringLiteral("link set lo up")));
        mustRun(ipIn(ns, QStringLiteral("link set ul0 up")));
    }
    for (const SenderDevice &device : devices) {
        const QString name = QLatin1String(device.name);
        mustRun(ipIn(senders,
            QStringLiteral("link add %1 type vxlan id %2 local %3 remote 198.51.100.2 dstport %4 nolearning")
                .arg(name)
                .arg(device.vni)
                .arg(QLatin1String(device.local))
                .arg(port)));
        mustRun(ipIn(senders, QStringLiteral("addr add %1 dev %2").arg(QLatin1String(device.address), name)));
        mustRun(ipIn(senders, QStringLiteral("link set %1 up").arg(name)));
        mustRun(ipIn(senders,
            QStringLiteral("neigh add %1 lladdr 02:00:00:00:00:02 dev %2 nud permanent")
                .arg(QLatin1String(device.neighbour), name)));
    }
}

} // namespace podtap::test::receive
