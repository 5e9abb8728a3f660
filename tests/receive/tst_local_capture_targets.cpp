// SPDX-License-Identifier: Apache-2.0
#include "receive/local_capture.h"
#include "receive_test_support.h"

#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QUdpSocket>

#include <memory>

using namespace podtap;
using namespace podtap::receive;
using namespace podtap::test;
using namespace podtap::test::receive;

namespace {

const QHostAddress kWeb(QStringLiteral("192.0.2.2"));
const QHostAddress kDb(QStringLiteral("192.0.2.3"));
const QHostAddress kCache(QStringLiteral("192.0.2.4"));

QByteArray marked(const QHostAddress &from, const QHostAddress &to, const QByteArray &marker)
{
    return udpFrame(from, to, QByteArray("podtap-marker-") + marker);
}

void sendTo(quint16 port, const QByteArray &datagram)
{
    QUdpSocket socket;
    QVERIFY2(socket.bind(QHostAddress::LocalHost, 0), qPrintable(socket.errorString()));
    QCOMPARE(socket.writeDatagram(datagram, QHostAddress::LocalHost, port), qint64(datagram.size()));
}

LocalCapture::Options loopbackOptions()
{
    LocalCapture::Options options;
    options.receiver.port = 0; // a free port: tests run next to each other
    options.receiver.bindAddress = QHostAddress::LocalHost;
    options.localAddress = QHostAddress(QStringLiteral("198.51.100.10"));
    options.countersIntervalMs = 50;
    return options;
}

LocalCapture::Target target(const QString &pod, std::uint32_t ingressVni, std::uint32_t egressVni)
{
    return {QStringLiteral("shop/%1/eth0").arg(pod), QString(), QHostAddress::LocalHost, ingressVni, egressVni};
}

/// Collects a viewer's output, and whether it finished, even after its process object is gone.
struct ProcessWatch
{
    std::shared_ptr<QByteArray> output = std::make_shared<QByteArray>();
    std::shared_ptr<bool> finished = std::make_shared<bool>(false);

    explicit ProcessWatch(QProcess *process)
    {
        auto out = output;
        auto done = finished;
        QObject::connect(process, &QProcess::readyRead, process, [process, out] { out->append(process->readAll()); });
        QObject::connect(process, &QProcess::finished, process, [process, out, done] {
            out->append(process->readAll());
            *done = true;
        });
    }
};

const QStringList kFields {QStringLiteral("frame.interface_name"), QStringLiteral("ip.src_host"),
    QStringLiteral("ip.dst_host"), QStringLiteral("frame.packet_flags_direction")};

QStringList fieldArguments()
{
    QStringList args {QStringLiteral("-N"), QStringLiteral("n"), QStringLiteral("-T"), QStringLiteral("fields"),
        QStringLiteral("-E"), QStringLiteral("separator=|")};
    for (const QString &field : kFields) {
        args += {QStringLiteral("-e"), field};
    }
    return args;
}

/// Rows of `-T fields -E separator=|` output with @p columns columns (tshark's notes are skipped), the last
/// column (the direction flags, printed in hex or not at all) as a number.
QList<QStringList> fieldRows(const QByteArray &output, int columns)
{
    QList<QStringList> rows;
    for (const QByteArray &line : output.split('\n')) {
        QStringList row = QString::fromUtf8(line).trimmed().split(QLatin1Char('|'));
        if (row.size() == columns) {
            row.last() = QString::number(row.last().toUInt(nullptr, 0));
            rows.append(row);
        }
    }
    return rows;
}

int viewer(LocalCapture &capture, QString *error)
{
    const QStringList command =
        LocalCapture::viewerCommand(LocalCapture::Viewer::Tshark, findCaptureTools(), fieldArguments(), error);
    return command.isEmpty() ? 0 : capture.addViewer(command, error);
}

/// Packets and frame bytes per interface name in @p file, as tshark counts them.
QHash<QString, QPair<quint64, quint64>> perInterface(const QString &file)
{
    QHash<QString, QPair<quint64, quint64>> counts;
    for (const QStringList &row :
        tsharkFields(file, {QStringLiteral("frame.interface_name"), QStringLiteral("frame.len")})) {
        auto &count = counts[row.value(0)];
        ++count.first;
        count.second += row.value(1).toULongLong();
    }
    return counts;
}

QByteArray interfaceCountLine(const QString &file)
{
    const QByteArray info = mustRun({QStringLiteral("capinfos"), QStringLiteral("-I"), file});
    for (const QByteArray &line : info.split('\n')) {
        if (line.contains("Number of interfaces in file")) {
            return line.simplified();
        }
    }
    return info;
}

} // namespace

/// @brief LocalCapture with pods coming and going (a workload session), over loopback: a target added while
/// running gets its interface mid-stream, which tshark reads from the file and live from a pipe, also a viewer
/// that joins later; a refused target adds nothing; a removed target's routes are free for a new one while its
/// interface and counters stay; per-target counters match what tshark counts per interface.
class TestLocalCaptureTargets final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        if (!haveTshark()) {
            QSKIP("tshark is not installed (scripts/install-deps.sh installs it)");
        }
    }

    /// Interface 2 joins after packets of interfaces 0 and 1 were read by a live tshark: that viewer, one that
    /// joins afterwards, and the file all show every interface's packets with their names and directions.
    void targetAddedWhileRunningReachesFileAndViewers()
    {
        const QString path = m_dir.filePath(QStringLiteral("added-while-running.pcapng"));
        LocalCapture capture(loopbackOptions());
        QString error;
        QCOMPARE(capture.addTarget(target(QStringLiteral("web-1"), 100, 101), &error), 0);
        QCOMPARE(capture.addTarget(target(QStringLiteral("db-0"), 200, 0), &error), 1);
        QVERIFY2(capture.addFileSink(path, &error), qPrintable(error));
        capture.addNames({{kWeb.toString(), QStringLiteral("shop"), QStringLiteral("web-1")},
            {kDb.toString(), QStringLiteral("shop"), QStringLiteral("db-0")}});
        QVERIFY2(capture.start(&error), qPrintable(error));
        const int early = viewer(capture, &error);
        QVERIFY2(early > 0, qPrintable(error));
        ProcessWatch earlyWatch(capture.viewerProcess(early));

        sendTo(capture.port(), vxlanDatagram(100, marked(kDb, kWeb, "in")));
        sendTo(capture.port(), vxlanDatagram(101, marked(kWeb, kDb, "out")));
        sendTo(capture.port(), vxlanDatagram(200, marked(kWeb, kDb, "db")));
        QTRY_COMPARE(capture.counters().packets, quint64(3));
        // The live reader has shown these packets before the new interface exists.
        QTRY_VERIFY_WITH_TIMEOUT(fieldRows(*earlyWatch.output, kFields.size()).size() == 3, 30000);

        // A pod appears: its interface and its name, mid-stream.
        QCOMPARE(capture.addTarget(target(QStringLiteral("cache-0"), 300, 301), &error), 2);
        QCOMPARE(capture.targetCount(), 3);
        QVERIFY(capture.isTargetActive(2));
        capture.addNames({{kCache.toString(), QStringLiteral("shop"), QStringLiteral("cache-0")}});
        // A viewer that joins after the mid-stream IDB gets every interface first.
        const int late = viewer(capture, &error);
        QVERIFY2(late > 0, qPrintable(error));
        ProcessWatch lateWatch(capture.viewerProcess(late));

        sendTo(capture.port(), vxlanDatagram(300, marked(kWeb, kCache, "cache-in")));
        sendTo(capture.port(), vxlanDatagram(301, marked(kCache, kWeb, "cache-out")));
        sendTo(capture.port(), vxlanDatagram(100, marked(kCache, kWeb, "web-again")));
        QTRY_COMPARE(capture.counters().packets, quint64(6));
        const LocalCapture::Counters web = capture.targetCounters(0);
        const LocalCapture::Counters db = capture.targetCounters(1);
        const LocalCapture::Counters cache = capture.targetCounters(2);
        QCOMPARE(web.packets, quint64(3));
        QCOMPARE(db.packets, quint64(1));
        QCOMPARE(cache.packets, quint64(2));
        QCOMPARE(
            cache.bytes, quint64(marked(kWeb, kCache, "cache-in").size() + marked(kCache, kWeb, "cache-out").size()));
        QCOMPARE(web.drops + db.drops + cache.drops, quint64(0));
        capture.stop();
        // After stop the per-target counters stay.
        QCOMPARE(capture.targetCounters(2), cache);
        QTRY_VERIFY_WITH_TIMEOUT(*earlyWatch.finished && *lateWatch.finished, 60000);

        const QList<QStringList> before {
            {QStringLiteral("shop/web-1/eth0"), QStringLiteral("shop/db-0"), QStringLiteral("shop/web-1"),
                QStringLiteral("1")},
            {QStringLiteral("shop/web-1/eth0"), QStringLiteral("shop/web-1"), QStringLiteral("shop/db-0"),
                QStringLiteral("2")},
            {QStringLiteral("shop/db-0/eth0"), QStringLiteral("shop/web-1"), QStringLiteral("shop/db-0"),
                QStringLiteral("0")},
        };
        const QList<QStringList> after {
            {QStringLiteral("shop/cache-0/eth0"), QStringLiteral("shop/web-1"), QStringLiteral("shop/cache-0"),
                QStringLiteral("1")},
            {QStringLiteral("shop/cache-0/eth0"), QStringLiteral("shop/cache-0"), QStringLiteral("shop/web-1"),
                QStringLiteral("2")},
            {QStringLiteral("shop/web-1/eth0"), QStringLiteral("shop/cache-0"), QStringLiteral("shop/web-1"),
                QStringLiteral("1")},
        };
        const QList<QStringList> earlyRows = fieldRows(*earlyWatch.output, kFields.size());
        QVERIFY2(earlyRows == before + after, earlyWatch.output->constData());
        const QList<QStringList> lateRows = fieldRows(*lateWatch.output, kFields.size());
        QVERIFY2(lateRows == after, lateWatch.output->constData());

        QString walkError;
        pcapngBlocks(readFile(path), &walkError);
        QVERIFY2(walkError.isEmpty(), qPrintable(walkError));
        QCOMPARE(
            fieldRows(mustRun(QStringList {QStringLiteral("tshark"), QStringLiteral("-r"), path} + fieldArguments()),
                kFields.size()),
            before + after);
        QCOMPARE(interfaceCountLine(path), QByteArray("Number of interfaces in file: 3"));
        const auto counted = perInterface(path);
        QCOMPARE(counted.value(QStringLiteral("shop/web-1/eth0")), qMakePair(web.packets, web.bytes));
        QCOMPARE(counted.value(QStringLiteral("shop/db-0/eth0")), qMakePair(db.packets, db.bytes));
        QCOMPARE(counted.value(QStringLiteral("shop/cache-0/eth0")), qMakePair(cache.packets, cache.bytes));
    }

    /// A target whose sender and VNI this session (or another on the port) receives already, or whose VNI does not
    /// fit, is refused while running with the reason, and adds nothing: no interface in the stream, no route held
    /// (its other, free VNI can be taken right after), no index used.
    void refusedTargetWhileRunningAddsNothing()
    {
        const QString path = m_dir.filePath(QStringLiteral("refused.pcapng"));
        LocalCapture capture(loopbackOptions());
        QString error;
        QCOMPARE(capture.addTarget(target(QStringLiteral("web-1"), 400, 401), &error), 0);
        QVERIFY2(capture.addFileSink(path, &error), qPrintable(error));
        QVERIFY2(capture.start(&error), qPrintable(error));

        // 402 is free, 401 is web-1's egress: refused as a whole.
        QCOMPARE(capture.addTarget(target(QStringLiteral("other-0"), 402, 401), &error), -1);
        QVERIFY2(error.contains(QLatin1String("shop/other-0/eth0")) && error.contains(QLatin1String("VNI 401")) &&
                error.contains(QString::number(capture.port())) && error.contains(QLatin1String("127.0.0.1")) &&
                error.contains(QLatin1String("choose another VNI")),
            qPrintable(error));
        QCOMPARE(capture.addTarget(target(QStringLiteral("huge-0"), 1u << 24, 0), &error), -1);
        QVERIFY2(error.contains(QLatin1String("24 bits")), qPrintable(error));
        QCOMPARE(capture.targetCount(), 1);
        QVERIFY(!capture.isTargetActive(1));

        // Nothing of the refused target holds 402.
        QCOMPARE(capture.addTarget(target(QStringLiteral("other-0"), 402, 0), &error), 1);
        sendTo(capture.port(), vxlanDatagram(402, marked(kWeb, kDb, "other")));
        sendTo(capture.port(), vxlanDatagram(401, marked(kWeb, kDb, "web-out")));
        QTRY_COMPARE(capture.counters().packets, quint64(2));
        QCOMPARE(capture.targetCounters(1).packets, quint64(1));
        QCOMPARE(capture.targetCounters(0).packets, quint64(1));
        capture.stop();
        QCOMPARE(capture.addTarget(target(QStringLiteral("after-0"), 403, 0), &error), -1);
        QVERIFY2(error.contains(QLatin1String("stopped")), qPrintable(error));

        QCOMPARE(interfaceCountLine(path), QByteArray("Number of interfaces in file: 2"));
        QCOMPARE(tsharkFields(path, {QStringLiteral("frame.interface_name")}),
            (QList<QStringList> {{QStringLiteral("shop/other-0/eth0")}, {QStringLiteral("shop/web-1/eth0")}}));
    }

    /// A removed target's later packets are not written (the port counts them as unrouted); its interface and
    /// counters stay; its sender and VNIs are free for a new target, which gets a new index and interface.
    void removedTargetFreesItsRoutesAndKeepsItsInterface()
    {
        const QString path = m_dir.filePath(QStringLiteral("removed.pcapng"));
        LocalCapture capture(loopbackOptions());
        QString error;
        QCOMPARE(capture.addTarget(target(QStringLiteral("web-1"), 500, 501), &error), 0);
        QCOMPARE(capture.addTarget(target(QStringLiteral("db-0"), 510, 0), &error), 1);
        QVERIFY2(capture.addFileSink(path, &error), qPrintable(error));
        QVERIFY2(capture.start(&error), qPrintable(error));

        sendTo(capture.port(), vxlanDatagram(500, marked(kDb, kWeb, "web-in")));
        sendTo(capture.port(), vxlanDatagram(501, marked(kWeb, kDb, "web-out")));
        sendTo(capture.port(), vxlanDatagram(510, marked(kWeb, kDb, "db")));
        // Still queued on the socket when the target goes: written, as it arrived before the removal.
        sendTo(capture.port(), vxlanDatagram(500, marked(kDb, kWeb, "web-queued")));
        QVERIFY(capture.removeTarget(0));
        QVERIFY(!capture.removeTarget(0));
        QVERIFY(!capture.removeTarget(7));
        QVERIFY(!capture.isTargetActive(0));
        const LocalCapture::Counters web = capture.targetCounters(0);
        QCOMPARE(web.packets, quint64(3));

        // After the removal: not written. The socket reads in order, so once db-0's next packet is in, so is this.
        sendTo(capture.port(), vxlanDatagram(500, marked(kDb, kWeb, "web-after-removal")));
        sendTo(capture.port(), vxlanDatagram(510, marked(kWeb, kDb, "db-again")));
        QTRY_COMPARE(capture.targetCounters(1).packets, quint64(2));
        QCOMPARE(capture.targetCounters(0), web);
        QCOMPARE(capture.counters().packets, quint64(5));
        QCOMPARE(capture.counters().drops, quint64(0));
        const QByteArray frame = marked(kDb, kWeb, "stream");
        QVERIFY(!capture.writeStreamPacket(0, 1, PacketDirection::Inbound, frame.constData(), frame.size()));
        QCOMPARE(capture.counters().drops, quint64(1));
        QCOMPARE(capture.targetCounters(0), web);

        // The same pod again (a restart): same sender and VNIs, a new index and interface.
        QCOMPARE(capture.addTarget(target(QStringLiteral("web-1"), 500, 501), &error), 2);
        sendTo(capture.port(), vxlanDatagram(500, marked(kDb, kWeb, "web-back-in")));
        sendTo(capture.port(), vxlanDatagram(501, marked(kWeb, kDb, "web-back-out")));
        QTRY_COMPARE(capture.targetCounters(2).packets, quint64(2));
        capture.stop();

        QVERIFY(!readFile(path).contains("web-after-removal"));
        QCOMPARE(interfaceCountLine(path), QByteArray("Number of interfaces in file: 3"));
        // Two interfaces share the name: tshark tells them apart by their id.
        QHash<QString, quint64> byId;
        for (const QStringList &row : tsharkFields(path, {QStringLiteral("frame.interface_id")})) {
            ++byId[row.value(0)];
        }
        QCOMPARE(byId.value(QStringLiteral("0")), capture.targetCounters(0).packets);
        QCOMPARE(byId.value(QStringLiteral("1")), capture.targetCounters(1).packets);
        QCOMPARE(byId.value(QStringLiteral("2")), capture.targetCounters(2).packets);
        QCOMPARE(capture.counters().packets, quint64(3 + 2 + 2));
    }

    /// A stream-only session (through the API server) may start before any pod and take targets as they come;
    /// writeStreamPacket() writes to targets added while running. Without allowNoTargets, an empty start is
    /// still refused.
    void streamTargetsAddedWhileRunning()
    {
        LocalCapture::Options options = loopbackOptions();
        options.tunnel = false;
        {
            LocalCapture refused(options);
            QString error;
            QVERIFY(!refused.start(&error));
            QVERIFY2(error.contains(QLatin1String("Nothing to capture")), qPrintable(error));
        }
        options.allowNoTargets = true;
        const QString path = m_dir.filePath(QStringLiteral("stream-targets.pcapng"));
        LocalCapture capture(options);
        QString error;
        QVERIFY2(capture.addFileSink(path, &error), qPrintable(error));
        QVERIFY2(capture.start(&error), qPrintable(error));
        const QByteArray a = marked(kWeb, kDb, "a");
        const QByteArray b = marked(kDb, kCache, "b");
        QVERIFY(!capture.writeStreamPacket(0, 1, PacketDirection::Outbound, a.constData(), a.size()));
        QCOMPARE(capture.addTarget(target(QStringLiteral("web-1"), 0, 0), &error), 0);
        QVERIFY(capture.writeStreamPacket(
            0, 1'700'000'000'000'000'000, PacketDirection::Outbound, a.constData(), a.size()));
        QCOMPARE(capture.addTarget(target(QStringLiteral("cache-0"), 0, 0), &error), 1);
        QVERIFY(
            capture.writeStreamPacket(1, 1'700'000'000'100'000'000, PacketDirection::Inbound, b.constData(), b.size()));
        QVERIFY(
            capture.writeStreamPacket(0, 1'700'000'000'200'000'000, PacketDirection::Inbound, b.constData(), b.size()));
        capture.flushStream();
        QCOMPARE(capture.targetCounters(0).streamPackets, quint64(2));
        QCOMPARE(capture.targetCounters(0).bytes, quint64(a.size() + b.size()));
        QCOMPARE(capture.targetCounters(1).packets, quint64(1));
        QCOMPARE(capture.counters().streamPackets, quint64(3));
        QCOMPARE(capture.counters().drops, quint64(1)); // the packet for a target not added yet
        capture.stop();
        const QList<QStringList> rows = tsharkFields(
            path, {QStringLiteral("frame.interface_name"), QStringLiteral("frame.packet_flags_direction")});
        QCOMPARE(rows.size(), 3);
        QCOMPARE(rows.at(0).at(0), QStringLiteral("shop/web-1/eth0"));
        QCOMPARE(rows.at(0).at(1).toUInt(nullptr, 0), 2u);
        QCOMPARE(rows.at(1).at(0), QStringLiteral("shop/cache-0/eth0"));
        QCOMPARE(rows.at(1).at(1).toUInt(nullptr, 0), 1u);
        QCOMPARE(rows.at(2).at(0), QStringLiteral("shop/web-1/eth0"));
    }
};

QTEST_GUILESS_MAIN(TestLocalCaptureTargets)
#include "tst_local_capture_targets.moc"
