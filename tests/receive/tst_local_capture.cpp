// SPDX-License-Identifier: Apache-2.0
#include "receive/local_capture.h"
#include "receive_test_support.h"

#include <QPointer>
#include <QProcess>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QUdpSocket>

#include <algorithm>
#include <memory>

using namespace podtap;
using namespace podtap::receive;
using namespace podtap::test;
using namespace podtap::test::receive;

namespace {

const QHostAddress kWeb(QStringLiteral("192.0.2.2"));
const QHostAddress kDb(QStringLiteral("192.0.2.3"));

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

LocalCapture::Options loopbackOptions(int reachabilityMs = 5000)
{
    LocalCapture::Options options;
    options.receiver.port = 0; // a free port: tests run next to each other
    options.receiver.bindAddress = QHostAddress::LocalHost;
    options.localAddress = QHostAddress(QStringLiteral("198.51.100.10"));
    options.reachabilityTimeoutMs = reachabilityMs;
    options.countersIntervalMs = 50;
    return options;
}

/// web-1 tapped with two VNIs (ingress 100, egress 101), db-0 with one (VNI 200, direction unknown).
void addTwoTargets(LocalCapture &capture)
{
    capture.addTarget(
        {QStringLiteral("shop/web-1/eth0"), QStringLiteral("web-1 on node-a"), QHostAddress::LocalHost, 100, 101});
    capture.addTarget({QStringLiteral("shop/db-0/eth0"), QString(), QHostAddress::LocalHost, 200, 0});
}

/// Collects a process's output, and whether it finished, even after the process object is gone.
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

/// Rows of `-T fields -E separator=|` output (other lines, such as tshark's notes, are skipped).
QList<QStringList> fieldRows(const QByteArray &output, int columns)
{
    QList<QStringList> rows;
    for (const QByteArray &line : output.split('\n')) {
        const QStringList row = QString::fromUtf8(line).trimmed().split(QLatin1Char('|'));
        if (row.size() == columns) {
            rows.append(row);
        }
    }
    return rows;
}

/// The direction column as a number: tshark prints the flags in hex (`0x00000001`) and nothing when unset.
QList<QStringList> withNumericDirection(QList<QStringList> rows)
{
    for (QStringList &row : rows) {
        if (!row.isEmpty()) {
            row.last() = QString::number(row.last().toUInt(nullptr, 0));
        }
    }
    return rows;
}

QStringList tsharkViewerCommand(const QStringList &extra)
{
    CaptureTools tools = findCaptureTools();
    QString error;
    const QStringList command = LocalCapture::viewerCommand(LocalCapture::Viewer::Tshark, tools, extra, &error);
    if (command.isEmpty()) {
        qWarning("%s", qPrintable(error));
    }
    return command;
}

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

} // namespace

/// @brief LocalCapture, over loopback: a session's userspace receiving end writes the tunnel to a pcapng file and
/// to tshark through a pipe, with pod names and directions; a viewer that dies leaves the file whole; the
/// reachability check tells "mirrored but not arriving" from "nothing mirrored"; stop frees the port.
class TestLocalCapture final : public QObject
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

    void viewerCommandNamesTheMissingProgram()
    {
        QString error;
        QVERIFY(LocalCapture::viewerCommand(LocalCapture::Viewer::Wireshark, CaptureTools {}, {}, &error).isEmpty());
        QVERIFY2(
            error.contains(QLatin1String("wireshark")) && error.contains(QLatin1String("--write")), qPrintable(error));
        CaptureTools tools;
        tools.wireshark = QStringLiteral("/opt/ws/wireshark");
        tools.tshark = QStringLiteral("/opt/ws/tshark");
        QCOMPARE(LocalCapture::viewerCommand(LocalCapture::Viewer::Wireshark, tools, {}, &error),
            QStringList({QStringLiteral("/opt/ws/wireshark"), QStringLiteral("-k"), QStringLiteral("-i"),
                QStringLiteral("-"), QStringLiteral("-o"), QStringLiteral("nameres.network_name:TRUE")}));
        QCOMPARE(LocalCapture::viewerCommand(LocalCapture::Viewer::Tshark, tools, {QStringLiteral("-c5")}, &error),
            QStringList(
                {QStringLiteral("/opt/ws/tshark"), QStringLiteral("-i"), QStringLiteral("-"), QStringLiteral("-o"),
                    QStringLiteral("nameres.network_name:TRUE"), QStringLiteral("-l"), QStringLiteral("-c5")}));
    }

    /// The same packets reach the file and a tshark viewer fed through its stdin, with pod names from the NRB,
    /// one interface per pod interface, and both directions when the session has two VNIs.
    void fileAndTsharkViewerGetNamesAndDirections()
    {
        const QString path = m_dir.filePath(QStringLiteral("two-sinks.pcapng"));
        LocalCapture capture(loopbackOptions());
        addTwoTargets(capture);
        QString error;
        QVERIFY2(capture.addFileSink(path, &error), qPrintable(error));
        capture.addNames({{kWeb.toString(), QStringLiteral("shop"), QStringLiteral("web-1")},
            {kDb.toString(), QStringLiteral("shop"), QStringLiteral("db-0")}});
        QVERIFY2(capture.start(&error), qPrintable(error));
        QVERIFY(capture.port() != 0);

        // The viewer joins after the start: it must still get the header, interfaces and names first.
        const QStringList command = tsharkViewerCommand(fieldArguments());
        QVERIFY(!command.isEmpty());
        const int viewer = capture.addViewer(command, &error);
        QVERIFY2(viewer > 0, qPrintable(error));
        QProcess *process = capture.viewerProcess(viewer);
        QVERIFY(process);
        ProcessWatch watch(process);

        sendTo(capture.port(), vxlanDatagram(100, marked(kDb, kWeb, "in")));
        sendTo(capture.port(), vxlanDatagram(101, marked(kWeb, kDb, "out")));
        sendTo(capture.port(), vxlanDatagram(200, marked(kWeb, kDb, "db")));
        // Not routed: a VNI nobody registered.
        sendTo(capture.port(), vxlanDatagram(999, marked(kWeb, kDb, "stray")));
        QTRY_COMPARE(capture.counters().packets, quint64(3));
        QCOMPARE(capture.counters().drops, quint64(0));

        // The session adds a pod mid-stream.
        capture.addNames({{QStringLiteral("192.0.2.4"), QStringLiteral("shop"), QStringLiteral("cache-0")}});
        sendTo(capture.port(), vxlanDatagram(100, marked(QHostAddress(QStringLiteral("192.0.2.4")), kWeb, "late")));
        QTRY_COMPARE(capture.counters().packets, quint64(4));

        capture.stop();
        QCOMPARE(capture.counters().packets, quint64(4));
        // Closing the pipe ends tshark's capture: it prints the rest and exits by itself.
        QTRY_VERIFY_WITH_TIMEOUT(*watch.finished, 60000);

        const QList<QStringList> expected {
            {QStringLiteral("shop/web-1/eth0"), QStringLiteral("shop/db-0"), QStringLiteral("shop/web-1"),
                QStringLiteral("1")},
            {QStringLiteral("shop/web-1/eth0"), QStringLiteral("shop/web-1"), QStringLiteral("shop/db-0"),
                QStringLiteral("2")},
            {QStringLiteral("shop/db-0/eth0"), QStringLiteral("shop/web-1"), QStringLiteral("shop/db-0"),
                QStringLiteral("0")},
            {QStringLiteral("shop/web-1/eth0"), QStringLiteral("shop/cache-0"), QStringLiteral("shop/web-1"),
                QStringLiteral("1")},
        };
        const QList<QStringList> viewed = withNumericDirection(fieldRows(*watch.output, kFields.size()));
        QVERIFY2(viewed == expected, watch.output->constData());

        QString walkError;
        pcapngBlocks(readFile(path), &walkError);
        QVERIFY2(walkError.isEmpty(), qPrintable(walkError));
        QStringList extra {QStringLiteral("-N"), QStringLiteral("n")};
        QCOMPARE(withNumericDirection(tsharkFields(path, kFields, extra)), expected);
        // One interface per tapped pod interface.
        const QByteArray info = mustRun({QStringLiteral("capinfos"), QStringLiteral("-I"), path});
        QVERIFY2(info.contains("Number of interfaces in file: 2"), info.constData());
    }

    /// A viewer killed mid-stream leaves the sinks; the file still gets every packet, before and after.
    void viewerDyingLeavesTheFileWhole()
    {
        const QString path = m_dir.filePath(QStringLiteral("viewer-dies.pcapng"));
        LocalCapture capture(loopbackOptions());
        capture.addTarget({QStringLiteral("shop/web-1/eth0"), QString(), QHostAddress::LocalHost, 300, 301});
        QString error;
        QVERIFY2(capture.addFileSink(path, &error), qPrintable(error));
        const int viewer = capture.addViewer(tsharkViewerCommand(fieldArguments()), &error);
        QVERIFY2(viewer > 0, qPrintable(error));
        QVERIFY2(capture.start(&error), qPrintable(error));
        QSignalSpy exited(&capture, &LocalCapture::viewerExited);

        for (int i = 0; i < 5; ++i) {
            sendTo(capture.port(), vxlanDatagram(300, marked(kDb, kWeb, "before")));
        }
        QTRY_COMPARE(capture.counters().packets, quint64(5));
        QProcess *process = capture.viewerProcess(viewer);
        process->kill();
        // Qt has not seen the exit yet: the next writes go to a dead pipe (EPIPE), which must not hurt.
        for (int i = 0; i < 100; ++i) {
            sendTo(capture.port(), vxlanDatagram(301, marked(kWeb, kDb, "after")));
        }
        QTRY_COMPARE(capture.counters().packets, quint64(105));
        QTRY_COMPARE(exited.count(), 1);
        QCOMPARE(exited.first().at(0).toInt(), viewer);
        for (int i = 0; i < 100; ++i) {
            sendTo(capture.port(), vxlanDatagram(301, marked(kWeb, kDb, "after")));
        }
        QTRY_COMPARE(capture.counters().packets, quint64(205));
        capture.stop();
        QCOMPARE(capture.counters().drops, quint64(0));

        QString walkError;
        pcapngBlocks(readFile(path), &walkError);
        QVERIFY2(walkError.isEmpty(), qPrintable(walkError));
        const QList<QStringList> rows =
            withNumericDirection(tsharkFields(path, {QStringLiteral("frame.packet_flags_direction")}));
        QCOMPARE(rows.size(), 205);
        QCOMPARE(rows.count(QStringList {QStringLiteral("1")}), 5);
        QCOMPARE(rows.count(QStringList {QStringLiteral("2")}), 200);
    }

    /// Wireshark closes its pipe when the operator stops its capture, and stays open: that viewer leaves the sinks
    /// (no buffering for a reader that is gone), the file goes on.
    void viewerClosingItsPipeLeavesTheSinks()
    {
        const QString path = m_dir.filePath(QStringLiteral("viewer-closes.pcapng"));
        LocalCapture capture(loopbackOptions());
        capture.addTarget({QStringLiteral("shop/web-1/eth0"), QString(), QHostAddress::LocalHost, 310, 0});
        QString error;
        QVERIFY2(capture.addFileSink(path, &error), qPrintable(error));
        // Closes its stdin and keeps running, as Wireshark does after "Stop capture".
        const int viewer = capture.addViewer(
            {QStringLiteral("sh"), QStringLiteral("-c"), QStringLiteral("exec 0<&-; echo closed; exec sleep 600")},
            &error);
        QVERIFY2(viewer > 0, qPrintable(error));
        QProcess *process = capture.viewerProcess(viewer);
        // stop() lets a running viewer go (so Wireshark keeps its capture): this one must not outlive a failure.
        const QPointer<QProcess> guarded(process);
        const auto reap = qScopeGuard([guarded] {
            if (guarded) {
                guarded->kill();
                guarded->waitForFinished();
            }
        });
        QByteArray said;
        QTRY_VERIFY2((said += process->readAll()).contains("closed"),
            qPrintable(QStringLiteral("%1 / %2").arg(QString::fromUtf8(said)).arg(int(process->state()))));
        QVERIFY2(capture.start(&error), qPrintable(error));
        QSignalSpy exited(&capture, &LocalCapture::viewerExited);
        for (int i = 0; i < 20; ++i) {
            sendTo(capture.port(), vxlanDatagram(310, marked(kDb, kWeb, "closed")));
        }
        QTRY_COMPARE(exited.count(), 1);
        QVERIFY2(exited.first().at(1).toString().contains(QLatin1String("stopped reading")),
            qPrintable(exited.first().at(1).toString()));
        QCOMPARE(process->state(), QProcess::Running);
        QTRY_COMPARE(capture.counters().packets, quint64(20));
        process->kill();
        process->waitForFinished();
        capture.stop();
        QCOMPARE(tsharkFields(path, {QStringLiteral("frame.number")}).size(), 20);
    }

    /// A viewer that does not keep up loses packets (counted), never the file, and never stalls the capture.
    void slowViewerDropsOnlyItsOwnPackets()
    {
        const QString path = m_dir.filePath(QStringLiteral("slow-viewer.pcapng"));
        LocalCapture::Options options = loopbackOptions();
        options.viewerMaxPendingBytes = 64 * 1024;
        LocalCapture capture(options);
        capture.addTarget({QStringLiteral("shop/web-1/eth0"), QString(), QHostAddress::LocalHost, 320, 0});
        QString error;
        QVERIFY2(capture.addFileSink(path, &error), qPrintable(error));
        // Never reads: the pipe fills, then the viewer's write buffer.
        const int viewer = capture.addViewer({QStringLiteral("sleep"), QStringLiteral("600")}, &error);
        QVERIFY2(viewer > 0, qPrintable(error));
        QProcess *process = capture.viewerProcess(viewer);
        const QPointer<QProcess> guarded(process);
        const auto reap = qScopeGuard([guarded] {
            if (guarded) {
                guarded->kill();
                guarded->waitForFinished();
            }
        });
        QVERIFY2(capture.start(&error), qPrintable(error));
        const QByteArray payload(1200, 'x');
        quint64 sent = 0;
        for (int batch = 0; batch < 20; ++batch) {
            for (int i = 0; i < 50; ++i) {
                sendTo(capture.port(), vxlanDatagram(320, marked(kDb, kWeb, payload)));
            }
            sent += 50;
            QTRY_COMPARE(capture.counters().packets, sent);
        }
        const LocalCapture::Counters counters = capture.counters();
        QVERIFY2(counters.viewerDrops > 0, "a stalled viewer must lose packets rather than buffer them all");
        QVERIFY(counters.viewerDrops < sent);
        QCOMPARE(counters.drops, quint64(0));
        QVERIFY(process->bytesToWrite() < 64 * 1024 + 4096);
        process->kill();
        process->waitForFinished();
        capture.stop();
        QCOMPARE(tsharkFields(path, {QStringLiteral("frame.number")}).size(), int(sent));
    }

    /// Two sessions share one port, each getting only its own VNI; a third asking for a taken (sender, VNI) is
    /// refused and holds nothing; the port stays open while a session holds it and is free after the last stops.
    void sessionsShareThePort()
    {
        quint16 port = 0;
        {
            QUdpSocket probe;
            QVERIFY(probe.bind(QHostAddress::LocalHost, 0));
            port = probe.localPort();
        }
        LocalCapture::Options options = loopbackOptions();
        options.receiver.port = port;
        const QString pathA = m_dir.filePath(QStringLiteral("shared-a.pcapng"));
        const QString pathB = m_dir.filePath(QStringLiteral("shared-b.pcapng"));
        QString error;
        auto a = std::make_unique<LocalCapture>(options);
        a->addTarget({QStringLiteral("shop/web-1/eth0"), QString(), QHostAddress::LocalHost, 800, 801});
        QVERIFY2(a->addFileSink(pathA, &error), qPrintable(error));
        QVERIFY2(a->start(&error), qPrintable(error));
        LocalCapture b(options);
        b.addTarget({QStringLiteral("shop/db-0/eth0"), QString(), QHostAddress::LocalHost, 900, 0});
        QVERIFY2(b.addFileSink(pathB, &error), qPrintable(error));
        QVERIFY2(b.start(&error), qPrintable(error));
        QCOMPARE(b.port(), port);

        LocalCapture clash(options);
        clash.addTarget({QStringLiteral("shop/other-0/eth0"), QString(), QHostAddress::LocalHost, 900, 0});
        QVERIFY(!clash.start(&error));
        QVERIFY2(error.contains(QLatin1String("VNI 900")) && error.contains(QString::number(port)) &&
                error.contains(QLatin1String("shop/other-0/eth0")),
            qPrintable(error));
        QVERIFY(!clash.isRunning());

        sendTo(port, vxlanDatagram(800, marked(kDb, kWeb, "a-in")));
        sendTo(port, vxlanDatagram(801, marked(kWeb, kDb, "a-out")));
        sendTo(port, vxlanDatagram(900, marked(kWeb, kDb, "b")));
        QTRY_COMPARE(a->counters().packets, quint64(2));
        QTRY_COMPARE(b.counters().packets, quint64(1));

        a->stop();
        a.reset();
        sendTo(port, vxlanDatagram(900, marked(kWeb, kDb, "b-again")));
        QTRY_COMPARE(b.counters().packets, quint64(2));
        {
            QUdpSocket taken;
            QVERIFY(!taken.bind(QHostAddress::LocalHost, port));
        }
        b.stop();
        QUdpSocket again;
        QVERIFY2(again.bind(QHostAddress::LocalHost, port), qPrintable(again.errorString()));
        QCOMPARE(tsharkFields(pathA, {QStringLiteral("frame.number")}).size(), 2);
        QCOMPARE(tsharkFields(pathB, {QStringLiteral("frame.number")}).size(), 2);
    }

    /// The agent mirrored packets and none arrive: the session says so, naming the port and the local address
    /// with a fix for each cause; the message clears when packets arrive.
    void reachabilityProblemWhenMirroredButNotArriving()
    {
        LocalCapture capture(loopbackOptions(200));
        capture.addTarget({QStringLiteral("shop/web-1/eth0"), QString(), QHostAddress::LocalHost, 400, 0});
        QString error;
        QVERIFY2(capture.start(&error), qPrintable(error));
        QSignalSpy problem(&capture, &LocalCapture::reachabilityProblem);
        QSignalSpy cleared(&capture, &LocalCapture::reachabilityCleared);

        capture.agentReady();
        QCOMPARE(capture.reachability(), LocalCapture::Reachability::Waiting);
        capture.setAgentMirrored(42);
        QTRY_COMPARE(problem.count(), 1);
        QCOMPARE(capture.reachability(), LocalCapture::Reachability::NotArriving);
        const QString text = problem.first().at(0).toString();
        const QString fix = problem.first().at(1).toString();
        const QString port = QString::number(capture.port());
        QVERIFY2(text.contains(QLatin1String("42")) && text.contains(port) &&
                text.contains(QLatin1String("198.51.100.10")) && text.contains(QLatin1String("127.0.0.1")),
            qPrintable(text));
        QVERIFY2(fix.contains(QLatin1String("NAT")) && fix.contains(QLatin1String("firewall")) &&
                fix.contains(QStringLiteral("UDP %1").arg(port)) && fix.contains(QLatin1String("198.51.100.10")) &&
                fix.contains(QLatin1String("wrong local address")),
            qPrintable(fix));

        sendTo(capture.port(), vxlanDatagram(400, marked(kDb, kWeb, "finally")));
        QTRY_COMPARE(cleared.count(), 1);
        QCOMPARE(capture.reachability(), LocalCapture::Reachability::Arriving);
        QCOMPARE(problem.count(), 1);
    }

    /// Nothing mirrored is not a reachability problem; once the agent reports packets that do not arrive, it is.
    void noProblemWhileNothingWasMirrored()
    {
        LocalCapture capture(loopbackOptions(200));
        capture.addTarget({QStringLiteral("shop/web-1/eth0"), QString(), QHostAddress::LocalHost, 500, 0});
        QString error;
        QVERIFY2(capture.start(&error), qPrintable(error));
        QSignalSpy problem(&capture, &LocalCapture::reachabilityProblem);

        capture.agentReady();
        capture.setAgentMirrored(0);
        QTRY_COMPARE(capture.reachability(), LocalCapture::Reachability::NothingMirrored);
        QCOMPARE(problem.count(), 0);

        capture.setAgentMirrored(7);
        QCOMPARE(capture.reachability(), LocalCapture::Reachability::Waiting);
        QTRY_COMPARE(problem.count(), 1);
    }

    /// The agent may report ready before the capture starts: the check still runs, from the start.
    void agentReadyBeforeStartIsStillChecked()
    {
        LocalCapture capture(loopbackOptions(200));
        capture.addTarget({QStringLiteral("shop/web-1/eth0"), QString(), QHostAddress::LocalHost, 550, 0});
        QSignalSpy problem(&capture, &LocalCapture::reachabilityProblem);
        capture.agentReady();
        capture.setAgentMirrored(5);
        QTest::qWait(400); // past the timeout, not yet started
        QCOMPARE(problem.count(), 0);
        QString error;
        QVERIFY2(capture.start(&error), qPrintable(error));
        QTRY_COMPARE(problem.count(), 1);
    }

    /// Packets arriving before the timeout: no message at all.
    void noProblemWhenPacketsArrive()
    {
        LocalCapture capture(loopbackOptions(300));
        capture.addTarget({QStringLiteral("shop/web-1/eth0"), QString(), QHostAddress::LocalHost, 600, 0});
        QString error;
        QVERIFY2(capture.start(&error), qPrintable(error));
        QSignalSpy problem(&capture, &LocalCapture::reachabilityProblem);
        capture.agentReady();
        capture.setAgentMirrored(3);
        sendTo(capture.port(), vxlanDatagram(600, marked(kDb, kWeb, "prompt")));
        QTRY_COMPARE(capture.reachability(), LocalCapture::Reachability::Arriving);
        QTest::qWait(600); // past the timeout: the check must have seen the packets
        QCOMPARE(problem.count(), 0);
    }

    /// After stop the port is free (a new socket binds it), a second stop changes nothing, and the file is whole.
    void stopReleasesThePortAndFinishesTheFile()
    {
        const QString path = m_dir.filePath(QStringLiteral("stopped.pcapng"));
        LocalCapture capture(loopbackOptions());
        capture.addTarget({QStringLiteral("shop/web-1/eth0"), QString(), QHostAddress::LocalHost, 700, 0});
        QString error;
        QVERIFY2(capture.addFileSink(path, &error), qPrintable(error));
        QVERIFY2(capture.start(&error), qPrintable(error));
        const quint16 port = capture.port();
        {
            QUdpSocket taken;
            QVERIFY(!taken.bind(QHostAddress::LocalHost, port));
        }
        for (int i = 0; i < 10; ++i) {
            sendTo(port, vxlanDatagram(700, marked(kDb, kWeb, "stop")));
        }
        QTRY_COMPARE(capture.counters().packets, quint64(10));
        capture.stop();
        QVERIFY(!capture.isRunning());
        const LocalCapture::Counters after = capture.counters();
        capture.stop();
        QCOMPARE(capture.counters(), after);

        QUdpSocket again;
        QVERIFY2(again.bind(QHostAddress::LocalHost, port), qPrintable(again.errorString()));

        QString walkError;
        const QList<Block> blocks = pcapngBlocks(readFile(path), &walkError);
        QVERIFY2(walkError.isEmpty(), qPrintable(walkError));
        QCOMPARE(std::count_if(blocks.begin(), blocks.end(), [](const Block &b) { return b.type == 6; }), 10);
        QCOMPARE(tsharkFields(path, {QStringLiteral("frame.number")}).size(), 10);
        // Restarting a stopped capture is refused: a session is started once.
        QVERIFY(!capture.start(&error));
    }

    /// The kernel drops datagrams while the session does not read (a full receive buffer), and nothing is read
    /// after them: stop() still counts every drop, as the kernel does, so sent = written + kernel drops.
    void kernelDropsAfterTheLastReadAreCountedAtStop()
    {
        LocalCapture::Options options = loopbackOptions();
        // A buffer of a few datagrams: the kernel drops the rest while the event loop does not run.
        options.receiver.receiveBufferBytes = 4096;
        LocalCapture capture(options);
        capture.addTarget({QStringLiteral("shop/web-1/eth0"), QString(), QHostAddress::LocalHost, 750, 0});
        QString error;
        QVERIFY2(capture.start(&error), qPrintable(error));
        const quint16 port = capture.port();
        const QByteArray datagram = vxlanDatagram(750, marked(kDb, kWeb, QByteArray(1000, 'd')));
        constexpr int kSent = 200;
        for (int i = 0; i < kSent; ++i) {
            sendTo(port, datagram);
        }
        const qint64 kernelCount = procUdpDrops(port);
        QVERIFY2(kernelCount > 0, "the kernel dropped nothing: the receive buffer did not fill");
        capture.stop();
        const LocalCapture::Counters counters = capture.counters();
        QCOMPARE(qint64(counters.kernelDrops), kernelCount);
        QCOMPARE(counters.packets + counters.kernelDrops, quint64(kSent));
        QCOMPARE(counters.drops, counters.kernelDrops);
    }

    /// A session that switches from the tunnel to the stream through the API server: the port is given back at
    /// once, and the streamed packets go on in the same file, on the same interface, with their directions; what
    /// the stream lost counts as drops.
    void tunnelThenStreamShareOneFile()
    {
        const QString path = m_dir.filePath(QStringLiteral("tunnel-then-stream.pcapng"));
        LocalCapture capture(loopbackOptions());
        capture.addTarget({QStringLiteral("shop/web-1/eth0"), QString(), QHostAddress::LocalHost, 100, 101});
        capture.addNames({{kWeb.toString(), QStringLiteral("shop"), QStringLiteral("web-1")},
            {kDb.toString(), QStringLiteral("shop"), QStringLiteral("db-0")}});
        QString error;
        QVERIFY2(capture.addFileSink(path, &error), qPrintable(error));
        QVERIFY2(capture.start(&error), qPrintable(error));
        const quint16 port = capture.port();
        sendTo(port, vxlanDatagram(100, marked(kDb, kWeb, "tunnel")));
        QTRY_COMPARE(capture.counters().packets, quint64(1));
        QVERIFY(capture.hasTunnel());

        capture.releaseTunnel();
        QVERIFY(!capture.hasTunnel());
        QVERIFY(capture.isRunning());
        {
            QUdpSocket again;
            QVERIFY2(again.bind(QHostAddress::LocalHost, port), qPrintable(again.errorString()));
        }
        const QByteArray out = marked(kWeb, kDb, "streamed-out");
        const QByteArray in = marked(kDb, kWeb, "streamed-in");
        QVERIFY(capture.writeStreamPacket(
            0, 1'700'000'000'000'000'000, PacketDirection::Outbound, out.constData(), out.size()));
        QVERIFY(capture.writeStreamPacket(
            0, 1'700'000'000'100'000'000, PacketDirection::Inbound, in.constData(), in.size()));
        // An interface the session never declared is refused and counted.
        QVERIFY(!capture.writeStreamPacket(
            3, 1'700'000'000'200'000'000, PacketDirection::Inbound, in.constData(), in.size()));
        capture.setStreamDrops(1, 5); // the agent's ring
        capture.setStreamDrops(1, 7); // a running total replaces the last one
        capture.setStreamDrops(2, 1); // the exec client
        capture.flushStream();
        const LocalCapture::Counters counters = capture.counters();
        QCOMPARE(counters.packets, quint64(3));
        QCOMPARE(counters.streamPackets, quint64(2));
        QCOMPARE(counters.bytes, quint64(marked(kDb, kWeb, "tunnel").size() + out.size() + in.size()));
        QCOMPARE(counters.streamDrops, quint64(8));
        QCOMPARE(counters.drops, quint64(9)); // + the refused packet
        capture.stop();
        QCOMPARE(capture.counters(), counters);

        const QList<QStringList> expected {
            {QStringLiteral("shop/web-1/eth0"), QStringLiteral("shop/db-0"), QStringLiteral("shop/web-1"),
                QStringLiteral("1")},
            {QStringLiteral("shop/web-1/eth0"), QStringLiteral("shop/web-1"), QStringLiteral("shop/db-0"),
                QStringLiteral("2")},
            {QStringLiteral("shop/web-1/eth0"), QStringLiteral("shop/db-0"), QStringLiteral("shop/web-1"),
                QStringLiteral("1")},
        };
        QCOMPARE(
            withNumericDirection(tsharkFields(path, kFields, {QStringLiteral("-N"), QStringLiteral("n")})), expected);
        const QByteArray info = mustRun({QStringLiteral("capinfos"), QStringLiteral("-I"), path});
        QVERIFY2(info.contains("Number of interfaces in file: 1"), info.constData());
    }

    /// A stream from the start (`--to api`) takes no port at all and runs no reachability check.
    void streamOnlyTakesNoPort()
    {
        const QString path = m_dir.filePath(QStringLiteral("stream-only.pcapng"));
        LocalCapture::Options options = loopbackOptions(50);
        options.tunnel = false;
        LocalCapture capture(options);
        capture.addTarget({QStringLiteral("shop/web-1/eth0"), QString(), QHostAddress::LocalHost, 0, 0});
        QSignalSpy problems(&capture, &LocalCapture::reachabilityProblem);
        QString error;
        QVERIFY2(capture.addFileSink(path, &error), qPrintable(error));
        QVERIFY2(capture.start(&error), qPrintable(error));
        QCOMPARE(capture.port(), quint16(0));
        QVERIFY(!capture.hasTunnel());
        capture.agentReady();
        capture.setAgentMirrored(100);
        // Well past the (50 ms) reachability timeout with nothing from a tunnel: no tunnel, no problem.
        QTest::qWait(300);
        QCOMPARE(problems.count(), 0);
        QVERIFY(capture.reachability() != LocalCapture::Reachability::NotArriving);
        const QByteArray frame = marked(kWeb, kDb, "api");
        QVERIFY(capture.writeStreamPacket(
            0, 1'700'000'000'000'000'000, PacketDirection::Outbound, frame.constData(), frame.size()));
        capture.flushStream();
        capture.stop();
        QCOMPARE(capture.counters().packets, quint64(1));
        QCOMPARE(tsharkFields(path, {QStringLiteral("frame.number")}).size(), 1);
    }
};

QTEST_GUILESS_MAIN(TestLocalCapture)
#include "tst_local_capture.moc"
