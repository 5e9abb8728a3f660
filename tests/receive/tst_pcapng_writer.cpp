// SPDX-License-Identifier: Apache-2.0
#include "receive/pcapng_writer.h"
#include "receive_test_support.h"

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace podtap;
using namespace podtap::receive;
using namespace podtap::test;
using namespace podtap::test::receive;

namespace {

constexpr std::uint32_t kTypeIdb = 1;
constexpr std::uint32_t kTypeNrb = 4;
constexpr std::uint32_t kTypeEpb = 6;

qsizetype countType(const QList<Block> &blocks, std::uint32_t type)
{
    return std::count_if(blocks.cbegin(), blocks.cend(), [type](const Block &b) { return b.type == type; });
}

} // namespace

/// @brief The pcapng podtap writes is what real tshark reads: pod names from NRBs (also ones added mid-stream), one
/// interface per tapped pod interface, direction flags, nanosecond timestamps; every block stays under Wireshark's
/// pipe limit; a slow reader makes it drop packets, counted, instead of buffering without bound.
class TestPcapngWriter final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    QString path(const QString &name) const { return m_dir.filePath(name); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        if (!haveTshark()) {
            QSKIP("tshark is not installed (scripts/install-deps.sh test installs it)");
        }
    }

    void tsharkShowsPodNamesInterfacesDirectionsAndNanoseconds()
    {
        const QString file = path(QStringLiteral("pods.pcapng"));
        {
            QFile out(file);
            QVERIFY(out.open(QIODevice::WriteOnly));
            PcapngWriter writer(&out, {.application = QStringLiteral("podtap test")});
            QVERIFY(writer.start());
            const std::uint32_t cart = writer.addInterface(
                {QStringLiteral("shop/cart-0/eth0"), QStringLiteral("pod shop/cart-0 on node-a"), 65535});
            const std::uint32_t web = writer.addInterface(
                {QStringLiteral("shop/web-1/eth0"), QStringLiteral("pod shop/web-1 on node-b"), 65535});
            QCOMPARE(writer.addNames({{QStringLiteral("192.0.2.9"), QStringLiteral("shop"), QStringLiteral("cart-0")},
                         {QStringLiteral("2001:db8::9"), QStringLiteral("shop"), QStringLiteral("web-1")},
                         {QStringLiteral("not-an-ip"), QStringLiteral("shop"), QStringLiteral("bad")},
                         {QStringLiteral("192.0.2.99"), QStringLiteral("shop"), QStringLiteral("forged\nname")}}),
                2);
            const QByteArray toCart = udpFrame(QHostAddress(QStringLiteral("192.0.2.20")),
                QHostAddress(QStringLiteral("192.0.2.9")), QByteArrayLiteral("inbound"));
            const QByteArray fromWeb = udpFrame(QHostAddress(QStringLiteral("2001:db8::9")),
                QHostAddress(QStringLiteral("2001:db8::20")), QByteArrayLiteral("outbound"));
            QVERIFY(writer.writePacket(
                cart, 1700000000123456789LL, PacketDirection::Inbound, toCart.constData(), toCart.size()));
            QVERIFY(writer.writePacket(
                web, 1700000001000000007LL, PacketDirection::Outbound, fromWeb.constData(), fromWeb.size()));
            // A pod that starts mid-capture: its name arrives in a later NRB, after packets.
            QCOMPARE(
                writer.addNames({{QStringLiteral("192.0.2.11"), QStringLiteral("shop"), QStringLiteral("late-2")}}), 1);
            const QByteArray fromLate = udpFrame(QHostAddress(QStringLiteral("192.0.2.11")),
                QHostAddress(QStringLiteral("192.0.2.9")), QByteArrayLiteral("late"));
            QVERIFY(writer.writePacket(
                cart, 1700000002000000000LL, PacketDirection::Inbound, fromLate.constData(), fromLate.size()));
            QVERIFY(writer.close());
            QCOMPARE(writer.writtenPackets(), quint64(3));
            QCOMPARE(writer.droppedPackets(), quint64(0));
        }

        QString error;
        const QList<Block> blocks = pcapngBlocks(readFile(file), &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(countType(blocks, kTypeIdb), 2);
        QCOMPARE(countType(blocks, kTypeNrb), 2);
        QCOMPARE(countType(blocks, kTypeEpb), 3);

        const QList<QStringList> rows = tsharkFields(file,
            {QStringLiteral("frame.interface_name"), QStringLiteral("frame.interface_description"),
                QStringLiteral("frame.packet_flags_direction"), QStringLiteral("frame.time_epoch"),
                QStringLiteral("ip.src_host"), QStringLiteral("ip.dst_host"), QStringLiteral("ipv6.src_host")},
            {QStringLiteral("-N"), QStringLiteral("n")});
        QCOMPARE(rows.size(), 3);
        QCOMPARE(rows.at(0).at(0), QStringLiteral("shop/cart-0/eth0"));
        QCOMPARE(rows.at(0).at(1), QStringLiteral("pod shop/cart-0 on node-a"));
        QCOMPARE(rows.at(0).at(2).toUInt(nullptr, 0), 1u); // inbound
        QCOMPARE(rows.at(0).at(3), QStringLiteral("1700000000.123456789"));
        QCOMPARE(rows.at(0).at(5), QStringLiteral("shop/cart-0"));
        QCOMPARE(rows.at(1).at(0), QStringLiteral("shop/web-1/eth0"));
        QCOMPARE(rows.at(1).at(2).toUInt(nullptr, 0), 2u); // outbound
        QCOMPARE(rows.at(1).at(3), QStringLiteral("1700000001.000000007"));
        QCOMPARE(rows.at(1).at(6), QStringLiteral("shop/web-1"));
        QCOMPARE(rows.at(2).at(4), QStringLiteral("shop/late-2"));
        QCOMPARE(rows.at(2).at(5), QStringLiteral("shop/cart-0"));

        // capinfos, another reader, agrees on the packets and interfaces.
        const QString info =
            QString::fromUtf8(mustRun({QStringLiteral("capinfos"), QStringLiteral("-c"), QStringLiteral("-I"), file}));
        QVERIFY2(info.contains(QLatin1String("Number of packets:   3")), qPrintable(info));
        QVERIFY2(info.contains(QLatin1String("shop/web-1/eth0")), qPrintable(info));
    }

    /// A pod that appears mid-capture gets its interface (IDB) after packets of the others were written: tshark
    /// reads packets of all three interfaces, with their names and directions, from the file, from the file
    /// through a pipe (`-r -`) and as a live capture on its stdin (`-i -`); capinfos counts three interfaces.
    void anInterfaceAddedAfterPacketsIsReadFromFileAndPipes()
    {
        const QString file = path(QStringLiteral("late-interface.pcapng"));
        {
            QFile out(file);
            QVERIFY(out.open(QIODevice::WriteOnly));
            PcapngWriter writer(&out, {.application = QStringLiteral("podtap test")});
            QVERIFY(writer.start());
            const std::uint32_t cart = writer.addInterface({QStringLiteral("shop/cart-0/eth0"), {}, 65535});
            const std::uint32_t web = writer.addInterface({QStringLiteral("shop/web-1/eth0"), {}, 65535});
            const QHostAddress a(QStringLiteral("192.0.2.9"));
            const QHostAddress b(QStringLiteral("192.0.2.20"));
            const QByteArray frame = udpFrame(a, b, QByteArrayLiteral("podtap-marker-late-interface"));
            std::int64_t ns = 1700000000000000000LL;
            QVERIFY(writer.writePacket(cart, ns += 1000, PacketDirection::Inbound, frame.constData(), frame.size()));
            QVERIFY(writer.writePacket(web, ns += 1000, PacketDirection::Outbound, frame.constData(), frame.size()));
            QVERIFY(writer.writePacket(cart, ns += 1000, PacketDirection::Outbound, frame.constData(), frame.size()));
            QVERIFY(writer.flush());
            const std::uint32_t late = writer.addInterface({QStringLiteral("shop/cart-7f9/eth0"), {}, 65535});
            QCOMPARE(late, 2u);
            QCOMPARE(writer.interfaceCount(), 3u);
            QVERIFY(writer.writePacket(late, ns += 1000, PacketDirection::Inbound, frame.constData(), frame.size()));
            QVERIFY(writer.writePacket(web, ns += 1000, PacketDirection::Inbound, frame.constData(), frame.size()));
            QVERIFY(writer.writePacket(late, ns += 1000, PacketDirection::Outbound, frame.constData(), frame.size()));
            QVERIFY(writer.close());
        }
        QString error;
        const QList<Block> blocks = pcapngBlocks(readFile(file), &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        // The third IDB really sits after packets: SHB, IDB, IDB, EPB x3, IDB, EPB x3.
        QCOMPARE(blocks.size(), 10);
        QCOMPARE(blocks.at(6).type, kTypeIdb);
        QCOMPARE(blocks.at(5).type, kTypeEpb);

        const QList<QStringList> expected {
            {QStringLiteral("shop/cart-0/eth0"), QStringLiteral("1")},
            {QStringLiteral("shop/web-1/eth0"), QStringLiteral("2")},
            {QStringLiteral("shop/cart-0/eth0"), QStringLiteral("2")},
            {QStringLiteral("shop/cart-7f9/eth0"), QStringLiteral("1")},
            {QStringLiteral("shop/web-1/eth0"), QStringLiteral("1")},
            {QStringLiteral("shop/cart-7f9/eth0"), QStringLiteral("2")},
        };
        const QStringList fields {QStringLiteral("-T"), QStringLiteral("fields"), QStringLiteral("-E"),
            QStringLiteral("separator=|"), QStringLiteral("-e"), QStringLiteral("frame.interface_name"),
            QStringLiteral("-e"), QStringLiteral("frame.packet_flags_direction")};
        const auto rowsOf = [](const QByteArray &out) {
            QList<QStringList> rows;
            for (const QByteArray &line : out.split('\n')) {
                QStringList row = QString::fromUtf8(line).trimmed().split(QLatin1Char('|'));
                if (row.size() == 2) {
                    row.last() = QString::number(row.last().toUInt(nullptr, 0));
                    rows.append(row);
                }
            }
            return rows;
        };
        const QByteArray bytes = readFile(file);
        const QList<QPair<QString, QStringList>> readers {
            {QStringLiteral("file"), QStringList {QStringLiteral("tshark"), QStringLiteral("-r"), file} + fields},
            {QStringLiteral("-r -"),
                QStringList {QStringLiteral("tshark"), QStringLiteral("-r"), QStringLiteral("-")} + fields},
            {QStringLiteral("-i -"),
                QStringList {QStringLiteral("tshark"), QStringLiteral("-i"), QStringLiteral("-")} + fields},
        };
        for (const auto &[name, command] : readers) {
            const ProcessResult result = run(command, 60000, name == QLatin1String("file") ? QByteArray() : bytes);
            QVERIFY2(result.ok(), qPrintable(result.describe(command)));
            QVERIFY2(rowsOf(result.out) == expected,
                qPrintable(QStringLiteral("%1: %2").arg(name, QString::fromUtf8(result.out))));
        }
        const QByteArray info = mustRun({QStringLiteral("capinfos"), QStringLiteral("-I"), file});
        QVERIFY2(info.contains("Number of interfaces in file: 3"), info.constData());
        QVERIFY2(info.contains("shop/cart-7f9/eth0"), info.constData());
    }

    void everyBlockStaysUnderThePipeLimit()
    {
        const QString file = path(QStringLiteral("huge.pcapng"));
        QList<PodAddress> pods;
        // 40,000 IPv6 pods: megabytes of name records, more than any single block may hold. (Names stay under
        // the 64 bytes Wireshark keeps of a host name, so the check below sees them whole.)
        for (int i = 0; i < 40000; ++i) {
            pods.append({QStringLiteral("2001:db8:%1::%2").arg(i / 1000, 0, 16).arg(i % 1000 + 1, 0, 16),
                QStringLiteral("namespace-%1").arg(i % 7), QStringLiteral("pod-%1-generated-abcdefghij").arg(i)});
        }
        QByteArray huge(300000, 'x');
        huge.replace(0, 14, QByteArray::fromHex("0200000000020200000000010800"));
        const QByteArray jumbo = udpFrame(QHostAddress(QStringLiteral("192.0.2.20")),
            QHostAddress(QStringLiteral("192.0.2.9")), QByteArray(8950, 'j'));
        {
            QFile out(file);
            QVERIFY(out.open(QIODevice::WriteOnly));
            PcapngWriter writer(&out);
            QVERIFY(writer.start());
            // A snaplen beyond the block limit is clamped so the EPB still fits.
            const std::uint32_t iface = writer.addInterface({QStringLiteral("big/pod-0/eth0"), {}, 1000000});
            QCOMPARE(writer.addNames(pods), 40000);
            QVERIFY(writer.writePacket(iface, 1, PacketDirection::Inbound, huge.constData(), huge.size()));
            QVERIFY(writer.writePacket(iface, 2, PacketDirection::Outbound, jumbo.constData(), jumbo.size()));
            QVERIFY(writer.close());
        }
        QString error;
        const QList<Block> blocks = pcapngBlocks(readFile(file), &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY2(countType(blocks, kTypeNrb) >= 4, "the names should need several NRBs");
        for (const Block &block : blocks) {
            QVERIFY2(block.length < 262144,
                qPrintable(QStringLiteral("block of type %1 is %2 bytes").arg(block.type).arg(block.length)));
        }
        const QList<QStringList> rows = tsharkFields(file,
            {QStringLiteral("frame.len"), QStringLiteral("frame.cap_len"), QStringLiteral("frame.interface_name")});
        QCOMPARE(rows.size(), 2);
        QCOMPARE(rows.at(0).at(0), QStringLiteral("300000"));
        QCOMPARE(rows.at(0).at(1).toUInt(), PcapngWriter::kMaxSnaplen);
        QCOMPARE(rows.at(1).at(0), QString::number(jumbo.size()));
        QCOMPARE(rows.at(1).at(1), QString::number(jumbo.size()));

        // The last name, in the last NRB, still resolves.
        const QByteArray hosts = mustRun({QStringLiteral("tshark"), QStringLiteral("-r"), file, QStringLiteral("-N"),
            QStringLiteral("n"), QStringLiteral("-q"), QStringLiteral("-z"), QStringLiteral("hosts")});
        QVERIFY2(hosts.contains("2001:db8:27::3e8\tnamespace-1/pod-39999-generated-abcdefghij\n"),
            hosts.right(2000).constData());
        QVERIFY2(hosts.contains("2001:db8::1\tnamespace-0/pod-0-generated-abcdefghij\n"), hosts.left(2000).constData());
    }

    void tsharkReadsTheStreamLiveFromAPipe()
    {
        // What Wireshark and tshark get in a live tap: the stream on stdin (`-i -`), read by dumpcap, which refuses
        // blocks of 256 KiB or more. Many names (several NRBs), an interface added mid-stream, a jumbo frame.
        QProcess tshark;
        tshark.start(QStringLiteral("tshark"),
            {QStringLiteral("-i"), QStringLiteral("-"), QStringLiteral("-N"), QStringLiteral("n"), QStringLiteral("-T"),
                QStringLiteral("fields"), QStringLiteral("-E"), QStringLiteral("separator=|"), QStringLiteral("-e"),
                QStringLiteral("frame.interface_name"), QStringLiteral("-e"), QStringLiteral("ip.dst_host"),
                QStringLiteral("-e"), QStringLiteral("frame.len")});
        QVERIFY2(tshark.waitForStarted(), qPrintable(tshark.errorString()));
        QList<PodAddress> pods;
        for (int i = 0; i < 20000; ++i) {
            pods.append({QStringLiteral("2001:db8:%1::%2").arg(i / 1000, 0, 16).arg(i % 1000 + 1, 0, 16),
                QStringLiteral("ns-%1").arg(i % 5), QStringLiteral("pod-%1").arg(i)});
        }
        pods.append({QStringLiteral("192.0.2.9"), QStringLiteral("shop"), QStringLiteral("cart-0")});
        const QByteArray small = udpFrame(
            QHostAddress(QStringLiteral("192.0.2.20")), QHostAddress(QStringLiteral("192.0.2.9")), QByteArray(10, 's'));
        const QByteArray jumbo = udpFrame(QHostAddress(QStringLiteral("192.0.2.20")),
            QHostAddress(QStringLiteral("192.0.2.9")), QByteArray(8950, 'j'));
        {
            PcapngWriter writer(&tshark, {.maxPendingBytes = 64 * 1024 * 1024, .application = {}});
            QVERIFY(writer.start());
            const std::uint32_t first = writer.addInterface({QStringLiteral("shop/cart-0/eth0"), {}, 65535});
            QVERIFY(writer.addNames(pods) > 0);
            QVERIFY(writer.writePacket(first, 1, PacketDirection::Inbound, small.constData(), small.size()));
            const std::uint32_t second = writer.addInterface({QStringLiteral("shop/cart-1/eth0"), {}, 65535});
            QVERIFY(writer.writePacket(second, 2, PacketDirection::Outbound, jumbo.constData(), jumbo.size()));
            QVERIFY(writer.close());
            QCOMPARE(writer.droppedPackets(), quint64(0));
        }
        tshark.closeWriteChannel();
        QVERIFY(tshark.waitForFinished(60000));
        const QString err = QString::fromUtf8(tshark.readAllStandardError());
        QCOMPARE(tshark.exitCode(), 0);
        const QStringList lines =
            QString::fromUtf8(tshark.readAllStandardOutput()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines,
            (QStringList {QStringLiteral("shop/cart-0/eth0|shop/cart-0|%1").arg(small.size()),
                QStringLiteral("shop/cart-1/eth0|shop/cart-0|%1").arg(jumbo.size())}));
        QVERIFY2(!err.contains(QLatin1String("rror")), qPrintable(err));
    }

    void aSlowReaderMakesItDropInsteadOfBuffering()
    {
        // A reader that never reads: its pipe fills, then QProcess queues, and the writer must stop adding.
        QProcess reader;
        reader.start(QStringLiteral("sleep"), {QStringLiteral("600")});
        QVERIFY(reader.waitForStarted());
        constexpr qint64 limit = 1024 * 1024;
        PcapngWriter writer(&reader, {.maxPendingBytes = limit, .flushThreshold = 64 * 1024, .application = {}});
        QVERIFY(writer.start());
        const std::uint32_t iface = writer.addInterface({QStringLiteral("ns/pod/eth0"), {}, 65535});
        const QByteArray frame(1000, 'p');
        constexpr int total = 10000; // 10 MB offered
        int accepted = 0;
        for (int i = 0; i < total; ++i) {
            accepted += writer.writePacket(iface, i, PacketDirection::Inbound, frame.constData(), frame.size()) ? 1 : 0;
            QVERIFY2(reader.bytesToWrite() <= limit + 128 * 1024,
                qPrintable(QStringLiteral("%1 bytes queued for the reader").arg(reader.bytesToWrite())));
        }
        QVERIFY(writer.droppedPackets() > 0);
        QCOMPARE(writer.droppedPackets() + writer.writtenPackets(), quint64(total));
        QCOMPARE(quint64(accepted), writer.writtenPackets());
        reader.kill();
        reader.waitForFinished();
    }

    void closingWritesOnlyWholeBlocksAndThenNothing()
    {
        const QString file = path(QStringLiteral("closed.pcapng"));
        QFile out(file);
        QVERIFY(out.open(QIODevice::WriteOnly));
        PcapngWriter writer(
            &out, {.flushThreshold = 1 << 30, .application = {}}); // nothing reaches the file before close()
        const std::uint32_t iface = writer.addInterface({QStringLiteral("ns/pod/eth0"), {}, 128});
        const QByteArray frame = udpFrame(
            QHostAddress(QStringLiteral("192.0.2.1")), QHostAddress(QStringLiteral("192.0.2.2")), QByteArray(500, 'c'));
        for (int i = 0; i < 100; ++i) {
            QVERIFY(writer.writePacket(iface, i, PacketDirection::Outbound, frame.constData(), frame.size()));
        }
        QVERIFY(writer.close());
        QVERIFY(!writer.writePacket(iface, 101, PacketDirection::Outbound, frame.constData(), frame.size()));
        QCOMPARE(writer.addNames({{QStringLiteral("192.0.2.1"), QStringLiteral("ns"), QStringLiteral("pod")}}), 0);
        QCOMPARE(writer.droppedPackets(), quint64(1));
        out.close();
        QString error;
        const QList<Block> blocks = pcapngBlocks(readFile(file), &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(countType(blocks, kTypeEpb), 100);
        const QList<QStringList> rows = tsharkFields(file, {QStringLiteral("frame.cap_len")});
        QCOMPARE(rows.size(), 100);
        QCOMPARE(rows.first().first(), QStringLiteral("128"));
    }
};

QTEST_GUILESS_MAIN(TestPcapngWriter)
#include "tst_pcapng_writer.moc"
