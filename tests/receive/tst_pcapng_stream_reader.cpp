// SPDX-License-Identifier: Apache-2.0
#include "receive/pcapng_stream_reader.h"
#include "receive/pcapng_writer.h"

#include <QBuffer>
#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QtEndian>

using namespace podtap::receive;

namespace {

/// Feeds @p stream to a fresh reader in chunks of random size (1 byte up to @p maxChunk), as they
/// come off a WebSocket, and returns every block.
QList<PcapngBlock> readInChunks(
    const QByteArray &stream, quint32 seed, qsizetype maxChunk, PcapngStreamReader *reader = nullptr)
{
    PcapngStreamReader local;
    PcapngStreamReader &r = reader ? *reader : local;
    QRandomGenerator random(seed);
    QList<PcapngBlock> blocks;
    for (qsizetype at = 0; at < stream.size();) {
        const qsizetype size = qMin<qsizetype>(1 + random.bounded(int(maxChunk)), stream.size() - at);
        blocks += r.append(QByteArrayView(stream).sliced(at, size));
        at += size;
        // Never more than one block plus the chunk just given.
        if (r.pendingBytes() > qsizetype(PcapngStreamReader::kMaxBlockBytes) + size) {
            qWarning("reader holds %lld bytes", qlonglong(r.pendingBytes()));
            return {};
        }
    }
    return blocks;
}

QList<PcapngPacket> packetsOf(const QList<PcapngBlock> &blocks)
{
    QList<PcapngPacket> packets;
    for (const PcapngBlock &block : blocks) {
        if (block.type == PcapngBlock::Type::EnhancedPacket) {
            packets << block.packet;
        }
    }
    return packets;
}

QByteArray runTool(const QString &program, const QStringList &args, QString *error)
{
    QProcess process;
    process.start(program, args);
    if (!process.waitForFinished(60000) || process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
        *error = QStringLiteral("%1 %2 failed: %3")
                     .arg(program, args.join(QLatin1Char(' ')), QString::fromUtf8(process.readAllStandardError()));
        return {};
    }
    return process.readAllStandardOutput();
}

struct TsharkRow
{
    qint64 ns = 0;
    quint32 length = 0;
    quint32 capturedLength = 0;
    quint32 flags = 0;
    QString interfaceName;
};

/// What real tshark reads from @p file: timestamp (ns), frame.len, frame.cap_len, epb_flags, interface name.
QList<TsharkRow> tsharkRows(const QString &file, QString *error)
{
    const QByteArray out = runTool(QStringLiteral("tshark"),
        {QStringLiteral("-r"), file, QStringLiteral("-T"), QStringLiteral("fields"), QStringLiteral("-e"),
            QStringLiteral("frame.time_epoch"), QStringLiteral("-e"), QStringLiteral("frame.len"), QStringLiteral("-e"),
            QStringLiteral("frame.cap_len"), QStringLiteral("-e"), QStringLiteral("frame.packet_flags"),
            QStringLiteral("-e"), QStringLiteral("frame.interface_name")},
        error);
    QList<TsharkRow> rows;
    for (const QByteArray &line : out.split('\n')) {
        const QList<QByteArray> fields = line.split('\t');
        if (fields.size() < 5) {
            continue;
        }
        const QList<QByteArray> time = fields.at(0).split('.');
        TsharkRow row;
        row.ns = time.at(0).toLongLong() * 1000000000 +
            (time.size() > 1 ? time.at(1).leftJustified(9, '0').toLongLong() : 0);
        row.length = fields.at(1).toUInt();
        row.capturedLength = fields.at(2).toUInt();
        row.flags = fields.at(3).isEmpty() ? 0 : fields.at(3).toUInt(nullptr, 16);
        row.interfaceName = QString::fromUtf8(fields.at(4));
        rows << row;
    }
    return rows;
}

/// Ethernet frames of varied sizes (60 up to 1514 bytes) with recognisable contents.
QList<QByteArray> sampleFrames(int count)
{
    QList<QByteArray> frames;
    QRandomGenerator random(7);
    for (int i = 0; i < count; ++i) {
        QByteArray frame(60 + random.bounded(1455), '\0');
        for (qsizetype b = 0; b < frame.size(); ++b) {
            frame[b] = char((i * 31 + b) & 0xff);
        }
        frames << frame;
    }
    return frames;
}

/// A block in @p bigEndian byte order with @p body (padded) and both length fields.
QByteArray block(std::uint32_t type, const QByteArray &body, bool bigEndian)
{
    QByteArray padded = body;
    while (padded.size() % 4 != 0) {
        padded.append('\0');
    }
    const std::uint32_t length = std::uint32_t(padded.size() + 12);
    QByteArray out(12 + padded.size(), '\0');
    auto put = [&](qsizetype at, std::uint32_t v) {
        bigEndian ? qToBigEndian(v, out.data() + at) : qToLittleEndian(v, out.data() + at);
    };
    put(0, type);
    put(4, length);
    out.replace(8, padded.size(), padded);
    put(out.size() - 4, length);
    return out;
}

QByteArray u16(std::uint16_t v, bool big)
{
    QByteArray out(2, '\0');
    big ? qToBigEndian(v, out.data()) : qToLittleEndian(v, out.data());
    return out;
}

QByteArray u32(std::uint32_t v, bool big)
{
    QByteArray out(4, '\0');
    big ? qToBigEndian(v, out.data()) : qToLittleEndian(v, out.data());
    return out;
}

QByteArray sectionHeader(bool big)
{
    return block(0x0A0D0D0A, u32(0x1A2B3C4D, big) + u16(1, big) + u16(0, big) + QByteArray(8, '\xff'), big);
}

QByteArray interfaceBlock(bool big, const QByteArray &options = {})
{
    return block(1, u16(1, big) + u16(0, big) + u32(65535, big) + options, big);
}

QByteArray packetBlock(bool big, std::uint32_t iface, std::uint64_t ticks, const QByteArray &data)
{
    QByteArray body = u32(iface, big) + u32(std::uint32_t(ticks >> 32), big) + u32(std::uint32_t(ticks), big) +
        u32(std::uint32_t(data.size()), big) + u32(std::uint32_t(data.size()), big) + data;
    return block(6, body, big);
}

} // namespace

/// @brief The incremental pcapng reader the console uses on an agent's exec stream: fed the output of
/// real producers (podtap's PcapngWriter, text2pcap, editcap) in random chunk sizes it delivers the
/// same blocks, timestamps, lengths and directions that tshark reads; hostile lengths are refused
/// before anything is allocated; after a gap it resynchronises without inventing packets.
class TestPcapngStreamReader final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    static bool haveTools()
    {
        return !QStandardPaths::findExecutable(QStringLiteral("tshark")).isEmpty() &&
            !QStandardPaths::findExecutable(QStringLiteral("text2pcap")).isEmpty() &&
            !QStandardPaths::findExecutable(QStringLiteral("editcap")).isEmpty();
    }

    /// The writer's stream with two interfaces, names, and @p frames alternating between them.
    static QByteArray writerStream(const QList<QByteArray> &frames, std::uint32_t snaplen = 65535)
    {
        QBuffer buffer;
        buffer.open(QIODevice::WriteOnly);
        PcapngWriter writer(&buffer, {.maxPendingBytes = qint64(1) << 40, .application = QStringLiteral("test")});
        writer.start();
        writer.addInterface({QStringLiteral("shop/cart-0/eth0"), {}, snaplen});
        writer.addInterface({QStringLiteral("shop/web-1/eth0"), {}, snaplen});
        writer.addNames({});
        for (int i = 0; i < frames.size(); ++i) {
            writer.writePacket(std::uint32_t(i % 2), 1700000000123456789LL + i * 1001,
                i % 3 == 0 ? PacketDirection::Inbound : PacketDirection::Outbound, frames.at(i).constData(),
                frames.at(i).size());
        }
        writer.close();
        return buffer.data();
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void writerOutputReadsBackWhateverTheChunks()
    {
        const QList<QByteArray> frames = sampleFrames(200);
        const QByteArray stream = writerStream(frames, 1000);
        for (const quint32 seed : {1u, 2u, 3u}) {
            for (const qsizetype maxChunk : {qsizetype(1), qsizetype(7), qsizetype(1500), qsizetype(70000)}) {
                PcapngStreamReader reader;
                const QList<PcapngBlock> blocks = readInChunks(stream, seed, maxChunk, &reader);
                QVERIFY2(!reader.hasError(), qPrintable(reader.errorString()));
                QCOMPARE(reader.pendingBytes(), 0);
                QVERIFY(blocks.size() >= 3);
                QCOMPARE(blocks.at(0).type, PcapngBlock::Type::SectionHeader);
                QCOMPARE(blocks.at(1).type, PcapngBlock::Type::InterfaceDescription);
                QCOMPARE(blocks.at(1).interface.name, QStringLiteral("shop/cart-0/eth0"));
                QCOMPARE(blocks.at(1).interface.linkType, std::uint16_t(1));
                QCOMPARE(blocks.at(1).interface.snaplen, 1000u);
                QCOMPARE(blocks.at(2).interface.name, QStringLiteral("shop/web-1/eth0"));
                QCOMPARE(reader.interfaces().size(), 2);
                const QList<PcapngPacket> packets = packetsOf(blocks);
                QCOMPARE(packets.size(), frames.size());
                for (int i = 0; i < frames.size(); ++i) {
                    const PcapngPacket &p = packets.at(i);
                    QCOMPARE(p.interfaceId, std::uint32_t(i % 2));
                    QCOMPARE(p.timestampNs, 1700000000123456789LL + i * 1001);
                    QCOMPARE(p.originalLength, std::uint32_t(frames.at(i).size()));
                    QCOMPARE(p.data, frames.at(i).left(1000));
                    QCOMPARE(p.capturedLength, std::uint32_t(p.data.size()));
                    QCOMPARE(p.direction, i % 3 == 0 ? PacketDirection::Inbound : PacketDirection::Outbound);
                }
                // The raw blocks put back together are the stream, less the skipped name block.
                QByteArray raw;
                for (const PcapngBlock &b : blocks) {
                    raw += b.raw;
                }
                QVERIFY(reader.skippedBlocks() >= 1 || raw == stream);
            }
        }
    }

    void text2pcapAndEditcapFilesMatchTshark_data()
    {
        QTest::addColumn<QStringList>("editcapArgs");
        QTest::newRow("text2pcap, nanoseconds") << QStringList {};
        QTest::newRow("editcap -s 100 (truncated)") << QStringList {QStringLiteral("-s"), QStringLiteral("100")};
        // Through classic pcap and back: microsecond timestamps, an IDB with no if_tsresol.
        QTest::newRow("editcap via pcap (microseconds)") << QStringList {QStringLiteral("pcap")};
    }

    void text2pcapAndEditcapFilesMatchTshark()
    {
        QFETCH(QStringList, editcapArgs);
        if (!haveTools()) {
            QSKIP("tshark, text2pcap or editcap is not installed (scripts/install-deps.sh installs tshark)");
        }
        const QList<QByteArray> frames = sampleFrames(120);
        QByteArray dump;
        for (int i = 0; i < frames.size(); ++i) {
            dump += QStringLiteral("%1 2026-12-04T10:%2:%3.%4Z ")
                        .arg(i % 2 ? QLatin1Char('<') : QLatin1Char('>'))
                        .arg(10 + i / 60, 2, 10, QLatin1Char('0'))
                        .arg(i % 60, 2, 10, QLatin1Char('0'))
                        .arg(123456789 + i * 7, 9, 10, QLatin1Char('0'))
                        .toLatin1() +
                frames.at(i).toHex() + '\n';
        }
        const QString text = m_dir.filePath(QStringLiteral("frames.txt"));
        const QString file = m_dir.filePath(QStringLiteral("text2pcap.pcapng"));
        {
            QFile out(text);
            QVERIFY(out.open(QIODevice::WriteOnly));
            out.write(dump);
        }
        QString error;
        runTool(QStringLiteral("text2pcap"),
            {QStringLiteral("-q"), QStringLiteral("-N"), QStringLiteral("veth-test"), QStringLiteral("-t"),
                QStringLiteral("ISO"), QStringLiteral("-r"),
                QStringLiteral(R"(^(?<dir>[<>])\s(?<time>\S+)\s(?<data>[0-9a-fA-F]+)$)"), text, file},
            &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QString input = file;
        if (editcapArgs == QStringList {QStringLiteral("pcap")}) {
            const QString pcap = m_dir.filePath(QStringLiteral("classic.pcap"));
            input = m_dir.filePath(QStringLiteral("back.pcapng"));
            runTool(QStringLiteral("editcap"), {QStringLiteral("-F"), QStringLiteral("pcap"), file, pcap}, &error);
            runTool(QStringLiteral("editcap"), {QStringLiteral("-F"), QStringLiteral("pcapng"), pcap, input}, &error);
        } else if (!editcapArgs.isEmpty()) {
            input = m_dir.filePath(QStringLiteral("edited.pcapng"));
            runTool(QStringLiteral("editcap"), editcapArgs + QStringList {file, input}, &error);
        }
        QVERIFY2(error.isEmpty(), qPrintable(error));
        const QList<TsharkRow> rows = tsharkRows(input, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(rows.size(), frames.size());

        QFile in(input);
        QVERIFY(in.open(QIODevice::ReadOnly));
        const QByteArray stream = in.readAll();
        for (const quint32 seed : {11u, 12u}) {
            PcapngStreamReader reader;
            const QList<PcapngPacket> packets = packetsOf(readInChunks(stream, seed, 3000, &reader));
            QVERIFY2(!reader.hasError(), qPrintable(reader.errorString()));
            QCOMPARE(packets.size(), rows.size());
            for (int i = 0; i < rows.size(); ++i) {
                const PcapngPacket &p = packets.at(i);
                QCOMPARE(p.timestampNs, rows.at(i).ns);
                QCOMPARE(p.originalLength, rows.at(i).length);
                QCOMPARE(p.capturedLength, rows.at(i).capturedLength);
                QCOMPARE(p.data, frames.at(i).left(p.capturedLength));
                QCOMPARE(quint32(p.direction), rows.at(i).flags & 3);
                // tshark shows an interface without if_name (classic pcap has none) as "unknown".
                const QString name =
                    rows.at(i).interfaceName == QLatin1String("unknown") ? QString() : rows.at(i).interfaceName;
                QCOMPARE(reader.interfaces().at(p.interfaceId).name, name);
            }
        }
    }

    void bigEndianSectionsAreRead()
    {
        for (const bool big : {true, false}) {
            // if_tsresol 6 (microseconds) and an if_name; then a packet with epb_flags inbound.
            const QByteArray options = u16(2, big) + u16(4, big) + QByteArray("lo0\0", 4) + u16(9, big) + u16(1, big) +
                QByteArray("\x06\0\0\0", 4) + u16(0, big) + u16(0, big);
            const QByteArray data("\x01\x02\x03\x04\x05", 5);
            QByteArray epbBody = u32(0, big) + u32(0, big) + u32(1500000, big) + u32(5, big) + u32(9, big) + data +
                QByteArray(3, '\0') + u16(2, big) + u16(4, big) + u32(1, big) + u16(0, big) + u16(0, big);
            const QByteArray stream = sectionHeader(big) + interfaceBlock(big, options) + block(6, epbBody, big);
            PcapngStreamReader reader;
            const QList<PcapngBlock> blocks = readInChunks(stream, 5, 3, &reader);
            QVERIFY2(!reader.hasError(), qPrintable(reader.errorString()));
            QCOMPARE(blocks.size(), 3);
            QCOMPARE(blocks.at(0).bigEndian, big);
            QCOMPARE(blocks.at(1).interface.name, QStringLiteral("lo0"));
            QCOMPARE(blocks.at(1).interface.tsresol, std::uint8_t(6));
            QCOMPARE(blocks.at(2).packet.timestampNs, 1500000LL * 1000);
            QCOMPARE(blocks.at(2).packet.data, data);
            QCOMPARE(blocks.at(2).packet.originalLength, 9u);
            QCOMPARE(blocks.at(2).packet.direction, PacketDirection::Inbound);
        }
    }

    void unknownBlocksAreSkipped()
    {
        const QByteArray stream = sectionHeader(false) + interfaceBlock(false) + block(0x00000BAD, "custom", false) +
            block(5, QByteArray(20, '\0'), false) + packetBlock(false, 0, 1000000, "abcd");
        PcapngStreamReader reader;
        const QList<PcapngBlock> blocks = readInChunks(stream, 9, 5, &reader);
        QVERIFY2(!reader.hasError(), qPrintable(reader.errorString()));
        QCOMPARE(blocks.size(), 3);
        QCOMPARE(reader.skippedBlocks(), 2u);
        QCOMPARE(blocks.at(2).packet.data, QByteArray("abcd"));
        QCOMPARE(blocks.at(2).packet.timestampNs, 1000000LL * 1000); // default resolution: microseconds
    }

    void hostileLengthsAreRefused_data()
    {
        QTest::addColumn<QByteArray>("stream");
        QTest::addColumn<QString>("expected");
        const QByteArray head = sectionHeader(false) + interfaceBlock(false);
        auto header = [](std::uint32_t type, std::uint32_t length) { return u32(type, false) + u32(length, false); };
        QTest::newRow("below 12") << head + header(6, 8) + QByteArray(8, '\0') << QStringLiteral("below 12");
        QTest::newRow("not a multiple of 4")
            << head + header(6, 33) + QByteArray(40, '\0') << QStringLiteral("not a multiple of 4");
        // Only the 8-byte header: the reader must refuse it without waiting for (or allocating) 4 GiB.
        QTest::newRow("4 GiB") << head + header(6, 0xFFFFFFFC) << QStringLiteral("above the limit of 262144");
        QTest::newRow("262148") << head + header(6, 262148) << QStringLiteral("above the limit of 262144");
        QByteArray mismatch = packetBlock(false, 0, 1, "abcd");
        qToLittleEndian<std::uint32_t>(999, mismatch.data() + mismatch.size() - 4);
        QTest::newRow("trailing length") << head + mismatch << QStringLiteral("but 999 at its end");
        QTest::newRow("no section header") << interfaceBlock(false) << QStringLiteral("does not start with a section");
        QTest::newRow("undescribed interface")
            << head + packetBlock(false, 3, 1, "abcd") << QStringLiteral("on interface 3");
        QByteArray overlong = packetBlock(false, 0, 1, "abcd");
        qToLittleEndian<std::uint32_t>(0xFFFFFFF0, overlong.data() + 20); // captured length
        QTest::newRow("captured length past the block") << head + overlong << QStringLiteral("4294967280 captured");
        QByteArray badOption = interfaceBlock(false, u16(2, false) + u16(200, false) + QByteArray(4, 'x'));
        QTest::newRow("option past the block")
            << sectionHeader(false) + badOption << QStringLiteral("runs past the block");
    }

    void hostileLengthsAreRefused()
    {
        QFETCH(QByteArray, stream);
        QFETCH(QString, expected);
        PcapngStreamReader reader;
        const QList<PcapngBlock> blocks = reader.append(stream);
        QVERIFY(reader.hasError());
        QVERIFY2(reader.errorString().contains(expected), qPrintable(reader.errorString()));
        QVERIFY2(reader.errorString().contains(QLatin1String("block at byte")), qPrintable(reader.errorString()));
        QCOMPARE(reader.pendingBytes(), 0);
        // Nothing more after an error, and no half block was delivered.
        QVERIFY(reader.append(sectionHeader(false)).isEmpty());
        for (const PcapngBlock &b : blocks) {
            QCOMPARE(qsizetype(qFromLittleEndian<std::uint32_t>(b.raw.constData() + 4)), b.raw.size());
        }
    }

    void resynchronisesAfterAGapWithoutInventingPackets()
    {
        const QList<QByteArray> frames = sampleFrames(300);
        const QByteArray stream = writerStream(frames);
        for (const quint32 seed : {21u, 22u, 23u, 24u}) {
            QRandomGenerator random(seed);
            // Cut out an arbitrary stretch after the interfaces, as a dropped WebSocket message does.
            const qsizetype gapStart = 2000 + random.bounded(int(stream.size() / 2));
            const qsizetype gapLength = 1 + random.bounded(40000);
            PcapngStreamReader reader;
            QList<PcapngBlock> blocks = readInChunks(stream.left(gapStart), seed, 4000, &reader);
            reader.resynchronize();
            QRandomGenerator chunks(seed + 100);
            for (qsizetype at = gapStart + gapLength; at < stream.size();) {
                const qsizetype size = qMin<qsizetype>(1 + chunks.bounded(4000), stream.size() - at);
                blocks += reader.append(QByteArrayView(stream).sliced(at, size));
                at += size;
            }
            QVERIFY2(!reader.hasError(), qPrintable(reader.errorString()));
            const QList<PcapngPacket> packets = packetsOf(blocks);
            // Every packet delivered is one of the originals, in order; the ones after the gap are back.
            int next = 0;
            for (const PcapngPacket &p : packets) {
                while (next < frames.size() && frames.at(next) != p.data) {
                    ++next;
                }
                QVERIFY2(next < frames.size(), "a packet that was never sent, or out of order");
                QCOMPARE(p.timestampNs, 1700000000123456789LL + next * 1001);
                ++next;
            }
            QCOMPARE(packets.last().data, frames.last());
            QVERIFY(packets.size() < frames.size());
            QVERIFY(packets.size() > frames.size() / 3);
        }
    }
};

QTEST_GUILESS_MAIN(TestPcapngStreamReader)
#include "tst_pcapng_stream_reader.moc"
