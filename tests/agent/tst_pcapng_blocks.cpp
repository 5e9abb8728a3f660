// SPDX-License-Identifier: Apache-2.0
#include "pcapng/pcapng_blocks.h"

#include <QByteArray>
#include <QTest>

#include <string>
#include <vector>

using namespace podtap::pcapng;

namespace {

QByteArray bytes(const std::string &block)
{
    return QByteArray(block.data(), qsizetype(block.size()));
}

} // namespace

/// @brief The std-only pcapng encoders that the agent's stream and the console's writer share, against blocks
/// laid out by hand from the pcapng specification (little-endian host, as the byte order magic then says).
class TestPcapngBlocks final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sectionHeader()
    {
        QCOMPARE(bytes(sectionHeaderBlock("podtap")).toHex(),
            QByteArray("0a0d0d0a2c0000004d3c2b1a01000000ffffffffffffffff04000600706f647461700000000000002c000000"));
        // Without an application: no shb_userappl option, only the end of options.
        QCOMPARE(bytes(sectionHeaderBlock()).size(), 32);
    }

    void interfaceDescription()
    {
        InterfaceDescription idb;
        idb.snaplen = 200;
        idb.name = "ns/pod/eth0";
        idb.description = "desc";
        QCOMPARE(bytes(interfaceDescriptionBlock(idb)).toHex(),
            QByteArray("010000003800000001000000c800000002000b006e732f706f642f6574683000030004006465736309000100090000"
                       "000000000038000000"));
        // A snaplen of 0, or one past the block limit, becomes the limit.
        idb.snaplen = 0;
        const QByteArray zero = bytes(interfaceDescriptionBlock(idb));
        QCOMPARE(*reinterpret_cast<const quint32 *>(zero.constData() + 12), kMaxSnaplen);
        idb.snaplen = 1u << 30;
        const QByteArray huge = bytes(interfaceDescriptionBlock(idb));
        QCOMPARE(*reinterpret_cast<const quint32 *>(huge.constData() + 12), kMaxSnaplen);
    }

    void enhancedPacket()
    {
        const unsigned char data[] = {1, 2, 3, 4, 5};
        EnhancedPacket packet;
        packet.timestampNs = (std::uint64_t(1) << 32) | 2;
        packet.data = data;
        packet.captured = 5;
        packet.original = 60;
        packet.direction = Direction::Outbound;
        std::vector<std::uint8_t> out(enhancedPacketBlockSize(5, Direction::Outbound), 0xAA);
        QCOMPARE(writeEnhancedPacketBlock(out.data(), packet), out.size());
        QCOMPARE(QByteArray(reinterpret_cast<const char *>(out.data()), qsizetype(out.size())).toHex(),
            QByteArray("0600000034000000000000000100000002000000050000003c00000001020304050000000200040002000000000000"
                       "0034000000"));
        // Direction unknown: no epb_flags option at all.
        packet.interfaceId = 3;
        packet.timestampNs = 7;
        packet.original = 5;
        packet.direction = Direction::Unknown;
        out.assign(enhancedPacketBlockSize(5, Direction::Unknown), 0xAA);
        QCOMPARE(writeEnhancedPacketBlock(out.data(), packet), out.size());
        QCOMPARE(QByteArray(reinterpret_cast<const char *>(out.data()), qsizetype(out.size())).toHex(),
            QByteArray("06000000280000000300000000000000070000000500000005000000010203040500000028000000"));
    }

    void largestPacketStaysUnderTheBlockLimit()
    {
        QVERIFY(enhancedPacketBlockSize(kMaxSnaplen, Direction::Inbound) < 262144);
        QVERIFY(enhancedPacketBlockSize(kMaxSnaplen, Direction::Inbound) <= kMaxBlockBytes);
    }

    void nameResolution()
    {
        const unsigned char v4[] = {192, 0, 2, 7};
        const std::string record = nameRecord(v4, 4, "shop/web");
        QCOMPARE(bytes(record).toHex(), QByteArray("01000d00c000020773686f702f77656200000000"));
        QCOMPARE(bytes(nameResolutionBlock(record)).toHex(),
            QByteArray("040000002400000001000d00c000020773686f702f776562000000000000000024000000"));
        // Names that could forge records, and addresses of no family, make no record.
        QVERIFY(nameRecord(v4, 4, "shop/web\n127.0.0.1 evil").empty());
        QVERIFY(nameRecord(v4, 4, "").empty());
        QVERIFY(nameRecord(v4, 3, "shop/web").empty());
    }

    void utf8CutKeepsCharactersWhole()
    {
        QCOMPARE(utf8Cut("ab\xc3\xa9", 3), std::string("ab"));
        QCOMPARE(utf8Cut("ab\xc3\xa9", 4), std::string("ab\xc3\xa9"));
        const std::string longName(kMaxTextBytes + 10, 'x');
        InterfaceDescription idb;
        idb.name = longName;
        // The name option is cut at kMaxTextBytes: 16 bytes of header, the option, tsresol, end, trailer.
        QCOMPARE(interfaceDescriptionBlock(idb).size(), 16 + 4 + kMaxTextBytes + 8 + 4 + 4);
    }
};

QTEST_GUILESS_MAIN(TestPcapngBlocks)
#include "tst_pcapng_blocks.moc"
