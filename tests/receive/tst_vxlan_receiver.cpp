// SPDX-License-Identifier: Apache-2.0
#include "receive/pcapng_writer.h"
#include "receive/tunnel_port_registry.h"
#include "receive/vxlan_receiver.h"
#include "receive_test_support.h"

#include <QCoreApplication>
#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QUdpSocket>

#include <chrono>
#include <memory>

using namespace podtap;
using namespace podtap::receive;
using namespace podtap::test;
using namespace podtap::test::receive;

namespace {

/// A session's end of the receiver: a pcapng file with one interface per route.
struct Capture
{
    explicit Capture(const QString &path)
        : file(path)
    {
        file.open(QIODevice::WriteOnly);
        writer = std::make_shared<PcapngWriter>(&file);
        writer->start();
    }
    void finish()
    {
        writer->close();
        file.close();
    }
    QFile file;
    std::shared_ptr<PcapngWriter> writer;
};

QByteArray marked(const char *marker)
{
    return udpFrame(QHostAddress(QStringLiteral("192.0.2.2")), QHostAddress(QStringLiteral("192.0.2.3")),
        QByteArray("podtap-marker-") + marker);
}

void sendFrom(const QHostAddress &source, quint16 port, const QByteArray &datagram)
{
    QUdpSocket socket;
    QVERIFY2(socket.bind(source, 0), qPrintable(socket.errorString()));
    const QHostAddress to =
        source.protocol() == QAbstractSocket::IPv6Protocol ? QHostAddress::LocalHostIPv6 : QHostAddress::LocalHost;
    QCOMPARE(socket.writeDatagram(datagram, to, port), qint64(datagram.size()));
}

std::int64_t nowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

/// @brief The userspace VXLAN receiver, over loopback: it writes only what a registered sender sends with a
/// registered VNI, strips the VXLAN header, marks the direction, and counts everything else by reason without
/// writing it. Both the Linux batch path (recvmmsg) and the portable QUdpSocket path.
class TestVxlanReceiver final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    static void addPaths()
    {
        QTest::addColumn<bool>("portable");
        QTest::newRow("batched") << false;
        QTest::newRow("portable") << true;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        if (!haveTshark()) {
            QSKIP("tshark is not installed (scripts/install-deps.sh test installs it)");
        }
    }

    /// Drops the kernel made after the last datagram read are known once the counters are refreshed (SO_MEMINFO),
    /// on both paths: sent = written + kernel drops, and the count is the kernel's own.
    void kernelDropsAfterTheLastReadAreCounted_data() { addPaths(); }
    void kernelDropsAfterTheLastReadAreCounted()
    {
        QFETCH(bool, portable);
        VxlanReceiver receiver;
        QString error;
        // A buffer of a few datagrams: the kernel drops the rest while the event loop does not run.
        QVERIFY2(
            receiver.bind(
                {.port = 0, .bindAddress = QHostAddress::LocalHost, .receiveBufferBytes = 4096, .portable = portable},
                &error),
            qPrintable(error));
        const QString path = m_dir.filePath(QStringLiteral("kernel-drops-%1.pcapng").arg(portable));
        Capture capture(path);
        const std::uint32_t interface = capture.writer->addInterface({QStringLiteral("shop/cart-0/eth0"), {}, 65535});
        const QHostAddress node(QStringLiteral("127.0.0.1"));
        const int route = receiver.addRoute({node, 4250, capture.writer, interface, PacketDirection::Inbound}, &error);
        QVERIFY2(route > 0, qPrintable(error));
        constexpr int kSent = 200;
        const QByteArray datagram = vxlanDatagram(4250, marked(QByteArray(1000, 'k').constData()));
        for (int i = 0; i < kSent; ++i) {
            sendFrom(node, receiver.localPort(), datagram);
        }
        const qint64 kernelCount = procUdpDrops(receiver.localPort());
        QVERIFY2(kernelCount > 0, "the kernel dropped nothing: the receive buffer did not fill");
        receiver.readPending();
        QCOMPARE(qint64(receiver.portCounters().kernelDrops), kernelCount);
        QCOMPARE(receiver.routeCounters(route).packets + receiver.portCounters().kernelDrops, quint64(kSent));
        QVERIFY(receiver.reportsKernelDrops());
        capture.finish();
    }

    void onlyRegisteredSendersAndVnisAreWritten_data() { addPaths(); }
    void onlyRegisteredSendersAndVnisAreWritten()
    {
        QFETCH(bool, portable);
        VxlanReceiver receiver;
        QString error;
        QVERIFY2(receiver.bind({.port = 0, .portable = portable}, &error), qPrintable(error));
        QCOMPARE(receiver.isBatched(), !portable);
        QVERIFY(receiver.localPort() != 0);
        if (!portable) {
            QVERIFY(receiver.hasKernelTimestamps());
            QVERIFY(receiver.reportsKernelDrops());
            QVERIFY(receiver.receiveBufferBytes() > 0);
        }

        const QString path = m_dir.filePath(QStringLiteral("loopback-%1.pcapng").arg(portable));
        Capture capture(path);
        const std::uint32_t egress = capture.writer->addInterface({QStringLiteral("shop/cart-0/eth0"), {}, 65535});
        const std::uint32_t ingress = capture.writer->addInterface({QStringLiteral("shop/web-1/eth0"), {}, 65535});
        const QHostAddress node(QStringLiteral("127.0.0.1"));
        const int out = receiver.addRoute({node, 4242, capture.writer, egress, PacketDirection::Outbound}, &error);
        QVERIFY2(out > 0, qPrintable(error));
        const int in = receiver.addRoute({node, 4243, capture.writer, ingress, PacketDirection::Inbound}, &error);
        QVERIFY2(in > 0, qPrintable(error));
        QSignalSpy active(&receiver, &VxlanReceiver::routeActive);

        const std::int64_t before = nowNs();
        const QHostAddress stranger(QStringLiteral("127.0.0.2"));
        sendFrom(node, receiver.localPort(), vxlanDatagram(4242, marked("good-egress")));
        sendFrom(node, receiver.localPort(), vxlanDatagram(4243, marked("good-ingress")));
        sendFrom(stranger, receiver.localPort(), vxlanDatagram(4242, marked("wrong-source")));
        sendFrom(node, receiver.localPort(), vxlanDatagram(4244, marked("wrong-vni")));
        sendFrom(node, receiver.localPort(), vxlanDatagram(4242, marked("no-i-flag"), 0x00));
        sendFrom(node, receiver.localPort(), vxlanDatagram(4242, QByteArray(5, 'x')));
        QTRY_COMPARE(receiver.portCounters().datagrams, quint64(6));
        const std::int64_t after = nowNs();

        QCOMPARE(receiver.portCounters().wrongSource, quint64(1));
        QCOMPARE(receiver.portCounters().wrongVni, quint64(1));
        QCOMPARE(receiver.portCounters().malformed, quint64(2));
        QCOMPARE(receiver.routeCounters(out).packets, quint64(1));
        QCOMPARE(receiver.routeCounters(out).bytes, quint64(marked("good-egress").size()));
        QCOMPARE(receiver.routeCounters(in).packets, quint64(1));
        QCOMPARE(receiver.routeCounters(out).drops, quint64(0));
        QCOMPARE(active.size(), 2);
        capture.finish();

        const QByteArray written = readFile(path);
        QVERIFY(written.contains("podtap-marker-good-egress"));
        QVERIFY(written.contains("podtap-marker-good-ingress"));
        QVERIFY(!written.contains("podtap-marker-wrong-source"));
        QVERIFY(!written.contains("podtap-marker-wrong-vni"));
        QVERIFY(!written.contains("podtap-marker-no-i-flag"));
        const QList<QStringList> rows = tsharkFields(path,
            {QStringLiteral("frame.interface_name"), QStringLiteral("frame.packet_flags_direction"),
                QStringLiteral("ip.dst"), QStringLiteral("frame.time_epoch"), QStringLiteral("frame.len")});
        QCOMPARE(rows.size(), 2);
        QCOMPARE(rows.at(0).at(0), QStringLiteral("shop/cart-0/eth0"));
        QCOMPARE(rows.at(0).at(1).toUInt(nullptr, 0), 2u);
        QCOMPARE(rows.at(0).at(2), QStringLiteral("192.0.2.3")); // the inner frame, VXLAN header gone
        QCOMPARE(rows.at(0).at(4), QString::number(marked("good-egress").size()));
        QCOMPARE(rows.at(1).at(0), QStringLiteral("shop/web-1/eth0"));
        QCOMPARE(rows.at(1).at(1).toUInt(nullptr, 0), 1u);
        // The receive time, in nanoseconds since the epoch, between sending and reading.
        const QStringList stamp = rows.at(0).at(3).split(QLatin1Char('.'));
        QCOMPARE(stamp.size(), 2);
        QCOMPARE(stamp.at(1).size(), 9);
        const std::int64_t written0 = stamp.at(0).toLongLong() * 1000000000 + stamp.at(1).toLongLong();
        QVERIFY(written0 >= before && written0 <= after);
    }

    void kernelDropsOnAFullSocketAreReported()
    {
        // A tiny receive buffer and no reading while a burst arrives: the kernel drops, and says how many.
        VxlanReceiver receiver;
        QString error;
        QVERIFY2(receiver.bind({.port = 0, .receiveBufferBytes = 4096}, &error), qPrintable(error));
        QVERIFY(receiver.reportsKernelDrops());
        Capture capture(m_dir.filePath(QStringLiteral("overflow.pcapng")));
        const std::uint32_t iface = capture.writer->addInterface({QStringLiteral("ns/pod/eth0"), {}, 65535});
        const int route =
            receiver.addRoute({QHostAddress::LocalHost, 5, capture.writer, iface, PacketDirection::Inbound}, &error);
        QVERIFY2(route > 0, qPrintable(error));
        QUdpSocket sender;
        QVERIFY(sender.bind(QHostAddress::LocalHost, 0));
        const QByteArray datagram = vxlanDatagram(5, marked("burst") + QByteArray(1000, 'b'));
        constexpr int burst = 200; // well under the per-CPU backlog (1000), so only the socket drops
        for (int i = 0; i < burst; ++i) {
            QCOMPARE(
                sender.writeDatagram(datagram, QHostAddress::LocalHost, receiver.localPort()), qint64(datagram.size()));
        }
        receiver.readPending();
        // The kernel stamps its running drop count on each datagram it queues, so the drops of the burst reach us
        // with the first datagram queued after them: send one more.
        QCOMPARE(
            sender.writeDatagram(datagram, QHostAddress::LocalHost, receiver.localPort()), qint64(datagram.size()));
        const PortCounters &port = receiver.portCounters();
        QTRY_COMPARE(port.datagrams + port.kernelDrops, quint64(burst + 1));
        QVERIFY2(port.kernelDrops > 0, "200 datagrams of 1 KB into a 4 KB buffer, and no drop reported");
        QCOMPARE(receiver.routeCounters(route).packets, port.datagrams);
        capture.finish();
    }

    void aStalledReaderShowsAsRouteDrops()
    {
        // The session's reader (here a process that never reads its stdin) stalls: the route counts drops
        // instead of the receiver queueing without bound.
        QProcess reader;
        reader.start(QStringLiteral("sleep"), {QStringLiteral("600")});
        QVERIFY(reader.waitForStarted());
        PcapngWriter::Options options;
        options.maxPendingBytes = 128 * 1024;
        auto writer = std::make_shared<PcapngWriter>(&reader, options);
        QVERIFY(writer->start());
        const std::uint32_t iface = writer->addInterface({QStringLiteral("ns/pod/eth0"), {}, 65535});
        VxlanReceiver receiver;
        QString error;
        QVERIFY2(receiver.bind({.port = 0}, &error), qPrintable(error));
        const int route =
            receiver.addRoute({QHostAddress::LocalHost, 9, writer, iface, PacketDirection::Inbound}, &error);
        QVERIFY2(route > 0, qPrintable(error));
        QUdpSocket sender;
        QVERIFY(sender.bind(QHostAddress::LocalHost, 0));
        const QByteArray datagram = vxlanDatagram(9, marked("stalled") + QByteArray(1000, 's'));
        constexpr int sent = 600; // 600 KB: more than the pipe and the allowance together
        for (int i = 0; i < sent; ++i) {
            sender.writeDatagram(datagram, QHostAddress::LocalHost, receiver.localPort());
            if (i % 50 == 0) {
                QCoreApplication::processEvents(); // let the receiver read, as a live session would
            }
        }
        const PortCounters &port = receiver.portCounters();
        QTRY_COMPARE(port.datagrams + port.kernelDrops, quint64(sent));
        const RouteCounters counters = receiver.routeCounters(route);
        QVERIFY2(counters.drops > 0, "a reader that never reads must cause drops");
        QCOMPARE(counters.packets + counters.drops, port.datagrams);
        QVERIFY2(reader.bytesToWrite() <= options.maxPendingBytes + 64 * 1024,
            qPrintable(QStringLiteral("%1 bytes queued for the reader").arg(reader.bytesToWrite())));
        receiver.removeRoute(route);
        reader.kill();
        reader.waitForFinished();
    }

    void ipv6SendersReachTheSameSocket_data() { addPaths(); }
    void ipv6SendersReachTheSameSocket()
    {
        QFETCH(bool, portable);
        {
            QUdpSocket probe;
            if (!probe.bind(QHostAddress::LocalHostIPv6, 0)) {
                QSKIP("no IPv6 loopback here");
            }
        }
        VxlanReceiver receiver;
        QString error;
        QVERIFY2(receiver.bind({.port = 0, .portable = portable}, &error), qPrintable(error));
        const QString path = m_dir.filePath(QStringLiteral("v6-%1.pcapng").arg(portable));
        Capture capture(path);
        const std::uint32_t iface = capture.writer->addInterface({QStringLiteral("shop/v6-0/eth0"), {}, 65535});
        const int v6 = receiver.addRoute(
            {QHostAddress::LocalHostIPv6, 77, capture.writer, iface, PacketDirection::Inbound}, &error);
        QVERIFY2(v6 > 0, qPrintable(error));
        const int v4 =
            receiver.addRoute({QHostAddress::LocalHost, 78, capture.writer, iface, PacketDirection::Outbound}, &error);
        QVERIFY2(v4 > 0, qPrintable(error));
        sendFrom(QHostAddress::LocalHostIPv6, receiver.localPort(), vxlanDatagram(77, marked("over-ipv6")));
        sendFrom(QHostAddress::LocalHost, receiver.localPort(), vxlanDatagram(78, marked("over-ipv4")));
        // IPv4 from ::1's VNI is the wrong sender for it: sender and VNI are matched together.
        sendFrom(QHostAddress::LocalHost, receiver.localPort(), vxlanDatagram(77, marked("v4-with-v6-vni")));
        QTRY_COMPARE(receiver.portCounters().datagrams, quint64(3));
        QCOMPARE(receiver.routeCounters(v6).packets, quint64(1));
        QCOMPARE(receiver.routeCounters(v4).packets, quint64(1));
        QCOMPARE(receiver.portCounters().wrongVni, quint64(1));
        capture.finish();
        const QByteArray written = readFile(path);
        QVERIFY(written.contains("podtap-marker-over-ipv6"));
        QVERIFY(written.contains("podtap-marker-over-ipv4"));
        QVERIFY(!written.contains("podtap-marker-v4-with-v6-vni"));
    }

    void sessionsShareOnePortAndAreToldApartBySenderAndVni()
    {
        QString error;
        const std::shared_ptr<VxlanReceiver> first = TunnelPortRegistry::acquire({.port = 0}, &error);
        QVERIFY2(first, qPrintable(error));
        const quint16 port = first->localPort();
        // Port 0 means "a new free port"; the port it got is then shared.
        const std::shared_ptr<VxlanReceiver> other = TunnelPortRegistry::acquire({.port = 0}, &error);
        QVERIFY(other && other != first);
        other->close();
        first->close();
        std::shared_ptr<VxlanReceiver> a = TunnelPortRegistry::acquire({.port = port}, &error);
        QVERIFY2(a, qPrintable(error));
        std::shared_ptr<VxlanReceiver> b = TunnelPortRegistry::acquire({.port = port}, &error);
        QCOMPARE(a.get(), b.get());

        Capture sessionA(m_dir.filePath(QStringLiteral("session-a.pcapng")));
        Capture sessionB(m_dir.filePath(QStringLiteral("session-b.pcapng")));
        const std::uint32_t ifaceA = sessionA.writer->addInterface({QStringLiteral("a/pod/eth0"), {}, 65535});
        const std::uint32_t ifaceB = sessionB.writer->addInterface({QStringLiteral("b/pod/eth0"), {}, 65535});
        const int routeA =
            a->addRoute({QHostAddress::LocalHost, 10, sessionA.writer, ifaceA, PacketDirection::Inbound}, &error);
        const int routeB =
            b->addRoute({QHostAddress::LocalHost, 11, sessionB.writer, ifaceB, PacketDirection::Inbound}, &error);
        QVERIFY(routeA > 0 && routeB > 0);
        // The same sender and VNI cannot go to two sessions.
        QCOMPARE(
            b->addRoute({QHostAddress::LocalHost, 10, sessionB.writer, ifaceB, PacketDirection::Inbound}, &error), 0);
        QVERIFY2(error.contains(QLatin1String("VNI 10")) && error.contains(QLatin1String("another session")),
            qPrintable(error));
        // Routes without a unicast sender or with a VNI over 24 bits are refused with a reason.
        QCOMPARE(a->addRoute({QHostAddress::Any, 12, sessionA.writer, ifaceA, PacketDirection::Inbound}, &error), 0);
        QVERIFY2(error.contains(QLatin1String("not a node's unicast address")), qPrintable(error));
        QCOMPARE(a->addRoute(
                     {QHostAddress::LocalHost, 0x1000000, sessionA.writer, ifaceA, PacketDirection::Inbound}, &error),
            0);
        QVERIFY2(error.contains(QLatin1String("24 bits")), qPrintable(error));

        sendFrom(QHostAddress::LocalHost, port, vxlanDatagram(10, marked("for-a")));
        sendFrom(QHostAddress::LocalHost, port, vxlanDatagram(11, marked("for-b")));
        QTRY_COMPARE(a->portCounters().datagrams, quint64(2));
        QCOMPARE(a->routeCounters(routeA).packets, quint64(1));
        QCOMPARE(b->routeCounters(routeB).packets, quint64(1));

        // Session A stops: its VNI is now a wrong VNI; B keeps receiving on the shared port.
        QVERIFY(a->removeRoute(routeA));
        a.reset();
        sendFrom(QHostAddress::LocalHost, port, vxlanDatagram(10, marked("late-for-a")));
        sendFrom(QHostAddress::LocalHost, port, vxlanDatagram(11, marked("more-for-b")));
        QTRY_COMPARE(b->portCounters().datagrams, quint64(4));
        QCOMPARE(b->portCounters().wrongVni, quint64(1));
        QCOMPARE(b->routeCounters(routeB).packets, quint64(2));
        sessionA.finish();
        sessionB.finish();
        const QByteArray fileA = readFile(sessionA.file.fileName());
        const QByteArray fileB = readFile(sessionB.file.fileName());
        QVERIFY(fileA.contains("podtap-marker-for-a") && !fileA.contains("podtap-marker-for-b"));
        QVERIFY(!fileA.contains("podtap-marker-late-for-a"));
        QVERIFY(fileB.contains("podtap-marker-for-b") && fileB.contains("podtap-marker-more-for-b"));
        QVERIFY(!fileB.contains("podtap-marker-for-a"));
    }

    void aTakenPortIsReportedWithWhatToDo_data() { addPaths(); }
    void aTakenPortIsReportedWithWhatToDo()
    {
        QFETCH(bool, portable);
        QUdpSocket holder;
        QVERIFY(holder.bind(QHostAddress::Any, 0, QAbstractSocket::DontShareAddress));
        VxlanReceiver receiver;
        QString error;
        QVERIFY(!receiver.bind({.port = holder.localPort(), .portable = portable}, &error));
        QVERIFY2(error.contains(QString::number(holder.localPort())), qPrintable(error));
        QVERIFY2(error.contains(QLatin1String("choose another tunnel port")), qPrintable(error));
        QVERIFY(!receiver.isBound());
    }
};

QTEST_GUILESS_MAIN(TestVxlanReceiver)
#include "tst_vxlan_receiver.moc"
