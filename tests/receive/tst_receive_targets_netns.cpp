// SPDX-License-Identifier: Apache-2.0
#include "receive/local_capture.h"
#include "receive_test_support.h"
#include "support/privileged.h"
#include "support/process.h"

#include <QHash>
#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

using namespace podtap;
using namespace podtap::receive;
using namespace podtap::test;
using namespace podtap::test::receive;

/// @brief One LocalCapture receiving real kernel VXLAN tunnels from two nodes while pods come and go (a workload
/// session): a second pod's target added mid-run gets its interface and traffic in the same file; once the first
/// pod's target is removed its later packets are not written; each interface's packets and bytes as tshark counts
/// them are the target's counters.
///
/// Two network namespaces on a veth pair (198.51.100.0/24): "nodes" sends from 198.51.100.1 (web-1: ingress VNI
/// 101 on vx101, egress VNI 100 on vx100) and from 198.51.100.3 (cart-7f9: ingress VNI 104 on vx104, egress VNI 105
/// on vx105); the capture runs in this process, moved into "workstation" (198.51.100.2).
class TestReceiveTargetsNetns final : public QObject
{
    Q_OBJECT

private:
    QString m_nodes;
    QString m_workstation;
    int m_home = -1; ///< this process's own network namespace, to return to
    QTemporaryDir m_dir;
    static constexpr int kPort = 47891;

    /// Sends @p count UDP datagrams `MARKER-i` to @p destination port 5000 from the nodes namespace, in order, in
    /// one process; the kernel VXLAN device whose neighbour @p destination is tunnels them.
    void send(const QString &destination, const QString &marker, int count = 1)
    {
        mustRun({QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("exec"), m_nodes, QStringLiteral("bash"),
            QStringLiteral("-c"),
            QStringLiteral("for i in $(seq %1); do printf %2-$i > /dev/udp/%3/5000; done")
                .arg(count)
                .arg(marker, destination)});
    }

private Q_SLOTS:
    void initTestCase()
    {
        PODTAP_REQUIRE_PRIVILEGED();
        if (!haveTshark()) {
            QSKIP("tshark is not installed (scripts/install-deps.sh test installs it)");
        }
        QVERIFY(m_dir.isValid());
        m_nodes = QStringLiteral("ptrtn%1").arg(getpid());
        m_workstation = QStringLiteral("ptrtw%1").arg(getpid());
        const QList<SenderDevice> devices = {{"vx100", 100, "198.51.100.1", "203.0.113.1/28", "203.0.113.2"},
            {"vx101", 101, "198.51.100.1", "203.0.113.17/28", "203.0.113.18"},
            {"vx104", 104, "198.51.100.3", "203.0.113.33/28", "203.0.113.34"},
            {"vx105", 105, "198.51.100.3", "203.0.113.49/28", "203.0.113.50"}};
        makeSenderNamespaces(m_nodes, m_workstation, devices, kPort);
        // The capture runs where an operator's machine would: in the workstation namespace (sockets opened from
        // here on belong to it).
        m_home = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        QVERIFY(m_home >= 0);
        QString error;
        QVERIFY2(enterNetworkNamespace(m_workstation, &error), qPrintable(error));
    }

    void cleanupTestCase()
    {
        if (m_home >= 0) {
            ::setns(m_home, CLONE_NEWNET);
            ::close(m_home);
            m_home = -1;
        }
        for (const QString &ns : {m_nodes, m_workstation}) {
            if (!ns.isEmpty()) {
                run({QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("del"), ns});
            }
        }
    }

    void targetsAddedAndRemovedWhileReceivingRealTunnels()
    {
        const QString path = m_dir.filePath(QStringLiteral("targets.pcapng"));
        LocalCapture::Options options;
        options.receiver.port = kPort;
        options.localAddress = QHostAddress(QStringLiteral("198.51.100.2"));
        LocalCapture capture(options);
        QString error;
        QCOMPARE(capture.addTarget({QStringLiteral("shop/web-1/eth0"), QString(),
                                       QHostAddress(QStringLiteral("198.51.100.1")), 101, 100},
                     &error),
            0);
        QVERIFY2(capture.addFileSink(path, &error), qPrintable(error));
        QVERIFY2(capture.start(&error), qPrintable(error));
        QCOMPARE(capture.port(), quint16(kPort));

        // web-1 alone: 3 frames its way (VNI 101, inbound), 2 from it (VNI 100, outbound).
        send(QStringLiteral("203.0.113.18"), QStringLiteral("podtap-marker-web-in"), 3);
        send(QStringLiteral("203.0.113.2"), QStringLiteral("podtap-marker-web-out"), 2);
        QTRY_COMPARE_WITH_TIMEOUT(capture.targetCounters(0).packets, quint64(5), 20000);

        // cart-7f9 appears on the other node mid-run.
        QCOMPARE(capture.addTarget({QStringLiteral("shop/cart-7f9/eth0"), QString(),
                                       QHostAddress(QStringLiteral("198.51.100.3")), 104, 105},
                     &error),
            1);
        send(QStringLiteral("203.0.113.34"), QStringLiteral("podtap-marker-cart-in"), 2);
        send(QStringLiteral("203.0.113.50"), QStringLiteral("podtap-marker-cart-out"), 3);
        send(QStringLiteral("203.0.113.18"), QStringLiteral("podtap-marker-web-in-again"), 1);
        QTRY_COMPARE_WITH_TIMEOUT(capture.targetCounters(1).packets, quint64(5), 20000);
        QTRY_COMPARE_WITH_TIMEOUT(capture.targetCounters(0).packets, quint64(6), 20000);

        // web-1 goes: what it sends afterwards is not written. The socket reads in order, so once cart-7f9's
        // next frame is counted, web-1's later ones have been read too.
        QVERIFY(capture.removeTarget(0));
        const LocalCapture::Counters web = capture.targetCounters(0);
        send(QStringLiteral("203.0.113.18"), QStringLiteral("podtap-marker-web-after-removal"), 2);
        send(QStringLiteral("203.0.113.34"), QStringLiteral("podtap-marker-cart-last"), 1);
        QTRY_COMPARE_WITH_TIMEOUT(capture.targetCounters(1).packets, quint64(6), 20000);
        QCOMPARE(capture.targetCounters(0), web);
        capture.stop();
        const LocalCapture::Counters cart = capture.targetCounters(1);
        QCOMPARE(capture.counters().packets, web.packets + cart.packets);
        QCOMPARE(capture.counters().drops, quint64(0));

        QString walkError;
        const QByteArray written = readFile(path);
        pcapngBlocks(written, &walkError);
        QVERIFY2(walkError.isEmpty(), qPrintable(walkError));
        QVERIFY(!written.contains("podtap-marker-web-after-removal"));
        const QByteArray info = mustRun({QStringLiteral("capinfos"), QStringLiteral("-I"), path});
        QVERIFY2(info.contains("Number of interfaces in file: 2"), info.constData());

        // Each marker on its pod's interface, with its direction.
        QHash<QString, QString> where;
        for (const QStringList &row : tsharkFields(path,
                 {QStringLiteral("frame.interface_name"), QStringLiteral("frame.packet_flags_direction"),
                     QStringLiteral("data.text")},
                 {QStringLiteral("-o"), QStringLiteral("data.show_as_text:TRUE"), QStringLiteral("-Y"),
                     QStringLiteral("udp.port == 5000")})) {
            where.insert(row.value(2), QStringLiteral("%1 %2").arg(row.value(0)).arg(row.value(1).toUInt(nullptr, 0)));
        }
        const QHash<QString, QString> expected {
            {QStringLiteral("podtap-marker-web-in-1"), QStringLiteral("shop/web-1/eth0 1")},
            {QStringLiteral("podtap-marker-web-in-2"), QStringLiteral("shop/web-1/eth0 1")},
            {QStringLiteral("podtap-marker-web-in-3"), QStringLiteral("shop/web-1/eth0 1")},
            {QStringLiteral("podtap-marker-web-out-1"), QStringLiteral("shop/web-1/eth0 2")},
            {QStringLiteral("podtap-marker-web-out-2"), QStringLiteral("shop/web-1/eth0 2")},
            {QStringLiteral("podtap-marker-web-in-again-1"), QStringLiteral("shop/web-1/eth0 1")},
            {QStringLiteral("podtap-marker-cart-in-1"), QStringLiteral("shop/cart-7f9/eth0 1")},
            {QStringLiteral("podtap-marker-cart-in-2"), QStringLiteral("shop/cart-7f9/eth0 1")},
            {QStringLiteral("podtap-marker-cart-out-1"), QStringLiteral("shop/cart-7f9/eth0 2")},
            {QStringLiteral("podtap-marker-cart-out-2"), QStringLiteral("shop/cart-7f9/eth0 2")},
            {QStringLiteral("podtap-marker-cart-out-3"), QStringLiteral("shop/cart-7f9/eth0 2")},
            {QStringLiteral("podtap-marker-cart-last-1"), QStringLiteral("shop/cart-7f9/eth0 1")},
        };
        QCOMPARE(where, expected);

        // The per-target counters are what tshark counts on each interface (every frame, not only the markers).
        QHash<QString, QPair<quint64, quint64>> counted;
        for (const QStringList &row :
            tsharkFields(path, {QStringLiteral("frame.interface_name"), QStringLiteral("frame.len")})) {
            auto &count = counted[row.value(0)];
            ++count.first;
            count.second += row.value(1).toULongLong();
        }
        QCOMPARE(counted.size(), 2);
        QCOMPARE(counted.value(QStringLiteral("shop/web-1/eth0")), qMakePair(web.packets, web.bytes));
        QCOMPARE(counted.value(QStringLiteral("shop/cart-7f9/eth0")), qMakePair(cart.packets, cart.bytes));
    }
};

QTEST_GUILESS_MAIN(TestReceiveTargetsNetns)
#include "tst_receive_targets_netns.moc"
