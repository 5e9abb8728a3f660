// SPDX-License-Identifier: Apache-2.0
// Hostile tunnel datagrams through the userspace receiver's demultiplexer into pcapng: every datagram is either
// written as exactly its inner frame (cut at the snaplen) on its route's interface, or counted under one drop
// reason; the stream stays a sequence of whole blocks, each under Wireshark's pipe limit; names from the input
// never forge records.
#include "fuzz_support.h"
#include "receive/pcapng_writer.h"
#include "receive/tunnel_demux.h"

#include <QBuffer>
#include <QList>

#include <cstring>
#include <memory>

using namespace podtap;
using namespace podtap::receive;
using podtap::fuzz::require;

namespace {

struct Expected
{
    std::uint32_t interfaceId;
    QByteArray frame;
    std::uint32_t snaplen;
};

/// Every name record is whole, and its name is one NUL-terminated string without control characters.
void checkNameRecords(const QByteArray &records)
{
    qsizetype at = 0;
    for (;;) {
        require(records.size() - at >= 4, "name records end without an end record");
        std::uint16_t type = 0;
        std::uint16_t length = 0;
        std::memcpy(&type, records.constData() + at, 2);
        std::memcpy(&length, records.constData() + at + 2, 2);
        if (type == 0) {
            return;
        }
        require(type == 1 || type == 2, "unknown name record type");
        const qsizetype addressBytes = type == 1 ? 4 : 16;
        require(length > addressBytes + 1 && at + 4 + length <= records.size(), "name record is cut");
        const QByteArray name = records.mid(at + 4 + addressBytes, length - addressBytes);
        require(name.endsWith('\0') && name.count('\0') == 1, "name record holds more than one name");
        for (const char c : name.chopped(1)) {
            require(quint8(c) >= 0x20 && c != 0x7F, "control character in a name record");
        }
        at += 4 + ((length + 3) & ~3);
    }
}

/// Checks @p stream block by block against @p expected packets; returns the number of EPBs.
void checkStream(const QByteArray &stream, const QList<Expected> &expected)
{
    qsizetype at = 0;
    qsizetype packets = 0;
    while (at < stream.size()) {
        require(stream.size() - at >= 12, "a block header is cut");
        std::uint32_t type = 0;
        std::uint32_t length = 0;
        std::memcpy(&type, stream.constData() + at, 4);
        std::memcpy(&length, stream.constData() + at + 4, 4);
        require(length >= 12 && length % 4 == 0, "a block length is not a multiple of 4");
        require(length < 262144, "a block reaches Wireshark's pipe limit");
        require(qsizetype(length) <= stream.size() - at, "a block is cut");
        std::uint32_t trailing = 0;
        std::memcpy(&trailing, stream.constData() + at + length - 4, 4);
        require(trailing == length, "trailing block length differs");
        if (type == 4) {
            checkNameRecords(stream.mid(at + 8, length - 12));
        }
        if (type == 6) {
            require(packets < expected.size(), "more packets written than delivered");
            const Expected &want = expected.at(packets);
            std::uint32_t interfaceId = 0;
            std::uint32_t captured = 0;
            std::uint32_t original = 0;
            std::memcpy(&interfaceId, stream.constData() + at + 8, 4);
            std::memcpy(&captured, stream.constData() + at + 20, 4);
            std::memcpy(&original, stream.constData() + at + 24, 4);
            require(interfaceId == want.interfaceId, "packet written on another route's interface");
            require(original == std::uint32_t(want.frame.size()), "original length is not the inner frame's");
            require(captured == std::min<std::uint32_t>(original, want.snaplen), "captured length ignores snaplen");
            require(std::memcmp(stream.constData() + at + 28, want.frame.constData(), captured) == 0,
                "written bytes are not the inner frame");
            ++packets;
        }
        at += length;
    }
    require(packets == expected.size(), "delivered packets missing from the stream");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    // Layout: records of [selector byte][length, 2 bytes big-endian][payload]. Selector bits 0-1 pick the sender
    // (an IPv4 node, an IPv6 node, a stranger), bit 2 marks the datagram cut by the socket buffer, and 0xFF makes
    // the payload a name update "ip ns/pod".
    const QByteArray input = fuzz::bytes(data, size);
    QBuffer sink;
    sink.open(QIODevice::WriteOnly);
    auto writer = std::make_shared<PcapngWriter>(&sink);
    writer->start();
    constexpr std::uint32_t kShortSnaplen = 64;
    const std::uint32_t full = writer->addInterface({QStringLiteral("ns/a/eth0"), QStringLiteral("a"), 65535});
    const std::uint32_t cut = writer->addInterface({QStringLiteral("ns/b/eth0"), {}, kShortSnaplen});

    const QHostAddress nodeV4(QStringLiteral("198.51.100.1"));
    const QHostAddress nodeV6(QStringLiteral("2001:db8::1"));
    TunnelDemux demux;
    QString error;
    const int r1 = demux.addRoute({nodeV4, 1, writer, full, PacketDirection::Inbound}, &error);
    const int r2 = demux.addRoute({nodeV4, 2, writer, cut, PacketDirection::Outbound}, &error);
    const int r3 = demux.addRoute({nodeV6, 3, writer, full, PacketDirection::Unknown}, &error);
    require(r1 > 0 && r2 > 0 && r3 > 0, "valid routes refused");
    require(demux.addRoute({nodeV4, 1, writer, cut, PacketDirection::Inbound}, &error) == 0, "duplicate route taken");

    const TunnelSender senders[] = {TunnelSender::fromAddress(nodeV4), TunnelSender::fromAddress(nodeV6),
        TunnelSender::fromAddress(QHostAddress(QStringLiteral("203.0.113.7")))};
    QList<Expected> expected;
    quint64 datagrams = 0;
    qsizetype at = 0;
    std::int64_t clock = 0;
    while (at + 3 <= input.size()) {
        const auto selector = quint8(input.at(at));
        const qsizetype length = (qsizetype(quint8(input.at(at + 1))) << 8) | quint8(input.at(at + 2));
        const QByteArray payload = input.mid(at + 3, length);
        at += 3 + length;
        if (selector == 0xFF) {
            const QList<QByteArray> parts = payload.split(' ');
            const QList<QByteArray> names = parts.value(1).split('/');
            writer->addNames({{QString::fromUtf8(parts.value(0)), QString::fromUtf8(names.value(0)),
                QString::fromUtf8(names.value(1))}});
            continue;
        }
        const TunnelSender &sender = senders[(selector & 3) % 3];
        const bool truncated = (selector & 4) != 0;
        const int route = demux.deliver(sender, payload.constData(), payload.size(), clock++, truncated);
        ++datagrams;
        if (route != 0) {
            require(!truncated && payload.size() >= 22 && (quint8(payload.at(0)) & 0x08), "a bad datagram was taken");
            const std::uint32_t vni =
                (quint32(quint8(payload.at(4))) << 16) | (quint32(quint8(payload.at(5))) << 8) | quint8(payload.at(6));
            require((route == r1 && vni == 1 && sender == senders[0]) ||
                    (route == r2 && vni == 2 && sender == senders[0]) ||
                    (route == r3 && vni == 3 && sender == senders[1]),
                "a datagram went to a route of another sender or VNI");
            expected.append({route == r2 ? cut : full, payload.mid(8), route == r2 ? kShortSnaplen : 65535u});
        } else {
            require(!(sender == senders[2]) || demux.portCounters().wrongSource > 0, "a stranger was not counted");
        }
        if ((selector & 0x30) == 0x30) {
            demux.flush();
        }
    }
    demux.flush();
    writer->close();

    const PortCounters &port = demux.portCounters();
    const quint64 routed =
        demux.routeCounters(r1).packets + demux.routeCounters(r2).packets + demux.routeCounters(r3).packets;
    const quint64 dropped =
        demux.routeCounters(r1).drops + demux.routeCounters(r2).drops + demux.routeCounters(r3).drops;
    require(port.datagrams == datagrams, "datagrams read differ from datagrams delivered");
    require(port.wrongSource + port.wrongVni + port.malformed + routed + dropped == datagrams,
        "a datagram was neither written nor counted under one reason");
    require(routed == quint64(expected.size()), "route counters differ from what was written");
    checkStream(sink.data(), expected);
    return 0;
}
