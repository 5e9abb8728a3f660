// SPDX-License-Identifier: Apache-2.0
#include "receive_rig.h"
#include "receive_test_support.h"
#include "support/privileged.h"
#include "support/process.h"

#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <sys/stat.h>
#include <unistd.h>

using namespace podtap::test;
using namespace podtap::test::receive;

/// @brief The real `podtap-agent mirror` on the agent rig sends a pod's traffic to the userspace receiver, run as
/// nobody in the receiver netns instead of a kernel VXLAN interface: one agent mirrors the pod's ingress with one
/// VNI and, with --egress-vni, its egress with a second VNI, and tshark reads both directions, the pod's name and
/// the marker flow from the file the receiver wrote. No interface appears in the receiver netns. Over an IPv4 and
/// an IPv6 underlay: the receiver's one dual-stack socket takes both.
class TestReceiveAgentRig final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<AgentRig> m_rig;
    QTemporaryDir m_dir;
    static constexpr MirrorTarget kTarget {.ingressVni = 4202, .egressVni = 4201, .port = 47891};

    QStringList receiverLinks() const
    {
        QStringList names;
        const QByteArray out = mustRun({QStringLiteral("ip"), QStringLiteral("-n"), m_rig->receiverNs(),
            QStringLiteral("-o"), QStringLiteral("link"), QStringLiteral("show")});
        for (const QByteArray &line : out.split('\n')) {
            const QList<QByteArray> fields = line.split(':');
            if (fields.size() > 1) {
                names.append(QString::fromUtf8(fields.at(1).trimmed()).section(QLatin1Char('@'), 0, 0));
            }
        }
        return names;
    }

    /// Waits for a stats event of @p agent counting at least @p packets mirrored on each hook.
    static bool mirroredAtLeast(QProcess &agent, int packets, QList<QJsonObject> *seen)
    {
        for (int i = 0; i < 10; ++i) {
            const QJsonObject stats = AgentRig::waitForEvent(agent, QStringLiteral("stats"), 5000, seen);
            if (stats.isEmpty()) {
                return false;
            }
            if (stats.value(QStringLiteral("ingress_packets")).toInteger() >= packets &&
                stats.value(QStringLiteral("egress_packets")).toInteger() >= packets) {
                return true;
            }
        }
        return false;
    }

private Q_SLOTS:
    void initTestCase()
    {
        PODTAP_REQUIRE_PRIVILEGED();
        if (!haveTshark()) {
            QSKIP("tshark is not installed (scripts/install-deps.sh test installs it)");
        }
        QVERIFY2(QFileInfo::exists(AgentRig::agentPath()), qPrintable(AgentRig::agentPath()));
        QVERIFY(m_dir.isValid());
        QVERIFY(::chmod(QFile::encodeName(m_dir.path()).constData(), 0777) == 0);
    }

    void cleanup()
    {
        if (m_rig) {
            m_rig->tearDown();
            m_rig.reset();
        }
    }

    void agentMirrorReachesTheUnprivilegedReceiver_data()
    {
        QTest::addColumn<bool>("ipv6Underlay");
        QTest::newRow("ipv4 underlay") << false;
        QTest::newRow("ipv6 underlay") << true;
    }
    void agentMirrorReachesTheUnprivilegedReceiver()
    {
        QFETCH(bool, ipv6Underlay);
        m_rig = std::make_unique<AgentRig>(QStringLiteral("u%1").arg(::getpid()));
        QString error;
        AgentRigOptions options;
        options.ipv6Underlay = ipv6Underlay;
        QVERIFY2(m_rig->setUp(options, &error), qPrintable(error));
        const QStringList linksBefore = receiverLinks();
        const QString pcap = m_dir.filePath(QStringLiteral("agent-%1.pcapng").arg(ipv6Underlay ? 6 : 4));
        ProbeProcess probe;
        QVERIFY2(probe.start(m_rig->receiverNs(), kTarget.port, pcap,
                     probeRoutes(m_rig->nodeUnderlayIp(), kTarget, QStringLiteral("shop/marker-pod/eth0")) +
                         QStringList {QStringLiteral("--name"), AgentRig::podIp() + QStringLiteral("=shop/marker-pod")},
                     &error),
            qPrintable(error));
        QCOMPARE(probe.ready().value(QStringLiteral("uid")).toInt(), 65534);

        QList<QJsonObject> seen;
        auto agent = startBothWaysMirror(*m_rig, kTarget,
            {QStringLiteral("--session"), QStringLiteral("rx-both"), QStringLiteral("--stats-interval"),
                QStringLiteral("1")});
        const QJsonObject agentReady = AgentRig::waitForEvent(*agent, QStringLiteral("ready"), 10000, &seen);
        QVERIFY2(!agentReady.isEmpty(), agent->readAllStandardError().constData());
        QCOMPARE(agentReady.value(QStringLiteral("vni")).toInt(), kTarget.ingressVni);
        QCOMPARE(agentReady.value(QStringLiteral("egress_vni")).toInt(), kTarget.egressVni);

        QVERIFY(AgentRig::bashIn(m_rig->podNs(),
            QStringLiteral("for i in 1 2 3; do printf podtap-marker-out > /dev/udp/192.0.2.1/5001; done")));
        QVERIFY(AgentRig::bashIn(m_rig->nodeNs(),
            QStringLiteral("for i in 1 2 3; do printf podtap-marker-in > /dev/udp/192.0.2.2/5002; done")));
        // Nobody listens on those ports, so ICMP errors quoting the markers travel back; the check below leaves them
        // out. Once the agent's stats count the markers as mirrored, they are queued at the receiver.
        QVERIFY(mirroredAtLeast(*agent, 3, &seen));
        QVERIFY(AgentRig::stop(*agent, SIGTERM));
        QCOMPARE(agent->exitCode(), 0);

        const QJsonObject stopped = probe.stop(&error);
        QVERIFY2(!stopped.isEmpty(), qPrintable(error));
        QCOMPARE(stopped.value(QStringLiteral("wrongSource")).toInt(), 0);
        QCOMPARE(stopped.value(QStringLiteral("wrongVni")).toInt(), 0);
        QCOMPARE(stopped.value(QStringLiteral("malformed")).toInt(), 0);

        QCOMPARE(receiverLinks(), linksBefore);
        QCOMPARE(QFileInfo(pcap).ownerId(), 65534u);
        const QList<QStringList> rows = tsharkFields(pcap,
            {QStringLiteral("frame.interface_name"), QStringLiteral("frame.packet_flags_direction"),
                QStringLiteral("ip.src_host"), QStringLiteral("ip.dst_host"), QStringLiteral("udp.dstport"),
                QStringLiteral("data.text")},
            {QStringLiteral("-N"), QStringLiteral("n"), QStringLiteral("-o"), QStringLiteral("data.show_as_text:TRUE"),
                QStringLiteral("-Y"), QStringLiteral("(udp.dstport == 5001 || udp.dstport == 5002) && !icmp")});
        int out = 0;
        int in = 0;
        QStringList shown;
        for (const QStringList &row : rows) {
            shown.append(row.join(QLatin1Char(' ')));
        }
        const QByteArray table = shown.join(QLatin1Char('\n')).toUtf8();
        for (const QStringList &row : rows) {
            QCOMPARE(row.at(0), QStringLiteral("shop/marker-pod/eth0"));
            if (row.at(4) == QLatin1String("5001")) {
                QVERIFY2(row.at(1).toUInt(nullptr, 0) == 2u, table.constData());
                QCOMPARE(row.at(2), QStringLiteral("shop/marker-pod"));
                QCOMPARE(row.at(5), QStringLiteral("podtap-marker-out"));
                ++out;
            } else {
                QVERIFY2(row.at(1).toUInt(nullptr, 0) == 1u, table.constData());
                QCOMPARE(row.at(3), QStringLiteral("shop/marker-pod"));
                QCOMPARE(row.at(5), QStringLiteral("podtap-marker-in"));
                ++in;
            }
        }
        QCOMPARE(out, 3);
        QCOMPARE(in, 3);
    }
};

QTEST_GUILESS_MAIN(TestReceiveAgentRig)
#include "tst_receive_agent_rig.moc"
