// SPDX-License-Identifier: Apache-2.0
#include "agent_rig.h"
#include "support/privileged.h"
#include "support/process.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include <csignal>
#include <unistd.h>

using namespace podtap::test;

namespace {

constexpr int kVni = 4242;
const QStringList kFields = {QStringLiteral("ip.src"), QStringLiteral("ip.dst"), QStringLiteral("icmp.type"),
    QStringLiteral("udp.dstport"), QStringLiteral("tcp.srcport"), QStringLiteral("tcp.dstport"),
    QStringLiteral("frame.protocols"), QStringLiteral("eth.src")};

/// Packets in both directions with ICMP, UDP and TCP between the pod and the node.
void sendMixedTraffic(const AgentRig &rig)
{
    run(AgentRig::inNs(rig.podNs(),
        {QStringLiteral("ping"), QStringLiteral("-c"), QStringLiteral("3"), QStringLiteral("-i"), QStringLiteral("0.2"),
            AgentRig::nodePodSideIp()}));
    // egress only: UDP from the pod; ingress only: UDP to the pod. TCP: SYN out, RST back (nothing listens).
    AgentRig::bashIn(rig.podNs(), QStringLiteral("for i in 1 2 3; do echo x > /dev/udp/192.0.2.1/5001; done"));
    AgentRig::bashIn(rig.nodeNs(), QStringLiteral("for i in 1 2 3; do echo x > /dev/udp/192.0.2.2/5002; done"));
    AgentRig::bashIn(rig.podNs(), QStringLiteral("exec 3<>/dev/tcp/192.0.2.1/5003 || true"));
}

QString dump(const QList<QStringList> &rows)
{
    QStringList lines;
    for (const QStringList &row : rows) {
        lines << row.join(QLatin1Char(' '));
    }
    return QStringLiteral("captured: ") + lines.join(QStringLiteral("; "));
}

int countRows(const QList<QStringList> &rows, int column, const QString &value, int otherColumn = -1,
    const QString &otherValue = {})
{
    int n = 0;
    for (const QStringList &row : rows) {
        if (row.value(column) == value && (otherColumn < 0 || row.value(otherColumn) == otherValue)) {
            ++n;
        }
    }
    return n;
}

} // namespace

/// @brief podtap-agent mirror delivers a pod's packets, as selected, to a VXLAN receiver.
class TestAgentMirror final : public QObject
{
    Q_OBJECT

    std::unique_ptr<AgentRig> m_rig;
    std::unique_ptr<QProcess> m_receiver;

    std::unique_ptr<QProcess> startMirror(const QStringList &extra, QJsonObject *ready, QList<QJsonObject> *seen)
    {
        auto agent = m_rig->startAgent(
            QStringList {QStringLiteral("mirror"), QStringLiteral("--container-id"),
                QStringLiteral("containerd://") + m_rig->containerId(), QStringLiteral("--proc-root"),
                m_rig->procRoot(), QStringLiteral("--vni"), QString::number(kVni), QStringLiteral("--remote"),
                m_rig->receiverUnderlayIp(), QStringLiteral("--stats-interval"), QStringLiteral("1")} +
            extra);
        *ready = AgentRig::waitForEvent(*agent, QStringLiteral("ready"), 10000, seen);
        return agent;
    }

    void verifyNothingLeft(AgentRig &rig, const QString &device)
    {
        for (const QString &hook : {QStringLiteral("ingress"), QStringLiteral("egress")}) {
            QVERIFY2(!rig.podFilters(hook).contains(QStringLiteral("cookie")), qPrintable(rig.podFilters(hook)));
        }
        const ProcessResult link = run({QStringLiteral("ip"), QStringLiteral("-n"), rig.podNs(), QStringLiteral("link"),
            QStringLiteral("show"), device});
        QVERIFY2(link.exitCode != 0, "the VXLAN device must be gone after teardown");
        const QByteArray qdiscs = mustRun({QStringLiteral("tc"), QStringLiteral("-n"), rig.podNs(),
            QStringLiteral("qdisc"), QStringLiteral("show"), QStringLiteral("dev"), QStringLiteral("eth0")});
        QVERIFY2(!qdiscs.contains("clsact"), "the clsact podtap added must be gone");
    }

private Q_SLOTS:
    void initTestCase()
    {
        PODTAP_REQUIRE_PRIVILEGED();
        QVERIFY2(QFileInfo::exists(AgentRig::agentPath()), qPrintable(AgentRig::agentPath()));
        m_rig = std::make_unique<AgentRig>(QStringLiteral("m%1").arg(::getpid()));
        QString error;
        QVERIFY2(m_rig->setUp(AgentRigOptions {}, &error), qPrintable(error));
        m_receiver = m_rig->startReceiver(kVni, QStringLiteral("rx"));
        const QJsonObject ready = AgentRig::waitForEvent(*m_receiver, QStringLiteral("ready"), 10000, nullptr);
        QVERIFY2(!ready.isEmpty(), m_receiver->readAllStandardError().constData());
        QCOMPARE(ready.value(QStringLiteral("device")).toString(), QStringLiteral("rx"));
        QCOMPARE(ready.value(QStringLiteral("contract")).toInt(), 2);
        QVERIFY(!ready.value(QStringLiteral("version")).toString().isEmpty());
    }

    void mirrorsIcmpUdpTcpBothWays()
    {
        QList<QJsonObject> seen;
        QJsonObject ready;
        auto agent = startMirror({}, &ready, &seen);
        QVERIFY2(!ready.isEmpty(), agent->readAllStandardError().constData());
        QCOMPARE(ready.value(QStringLiteral("vni")).toInt(), kVni);
        QCOMPARE(ready.value(QStringLiteral("device")).toString(), QStringLiteral("ptap%1").arg(kVni));
        QVERIFY(ready.value(QStringLiteral("ifindex")).toInt() > 0);
        QCOMPARE(ready.value(QStringLiteral("hooks")).toArray().size(), 2);
        QCOMPARE(ready.value(QStringLiteral("pid")).toInteger(), m_rig->podPid());
        // The console checks both before it trusts the rest of the contract.
        QCOMPARE(ready.value(QStringLiteral("contract")).toInt(), 2);
        QVERIFY2(!ready.value(QStringLiteral("version")).toString().isEmpty(),
            QJsonDocument(ready).toJson(QJsonDocument::Compact).constData());
        // The device as the kernel reports it: no learning, the port asked for, no outer UDP checksum (IPv4).
        const QByteArray details = mustRun({QStringLiteral("ip"), QStringLiteral("-d"), QStringLiteral("-n"),
            m_rig->podNs(), QStringLiteral("link"), QStringLiteral("show"), QStringLiteral("ptap%1").arg(kVni)});
        QVERIFY2(details.contains("vxlan id " + QByteArray::number(kVni)) && details.contains("dstport 4789") &&
                details.contains("nolearning") && details.contains("noudpcsum"),
            details.constData());
        for (const QJsonObject &event : seen) {
            QVERIFY2(event.value(QStringLiteral("event")) != QStringLiteral("warning"),
                "pod MTU 1450 on a 1500 underlay must not warn");
        }

        QString error;
        RigCapture capture = m_rig->startCapture(QStringLiteral("rx"), &error);
        QVERIFY2(capture.process, qPrintable(error));
        sendMixedTraffic(*m_rig);
        const QJsonObject stats = AgentRig::waitForEvent(*agent, QStringLiteral("stats"), 5000, &seen);
        const QList<QStringList> rows = m_rig->finishCapture(capture, kFields);

        const QString pod = AgentRig::podIp();
        QVERIFY2(countRows(rows, 2, QStringLiteral("8"), 0, pod) >= 3, "echo requests (egress) must arrive");
        QVERIFY2(countRows(rows, 2, QStringLiteral("0"), 1, pod) >= 3, "echo replies (ingress) must arrive");
        QVERIFY2(countRows(rows, 3, QStringLiteral("5001"), 0, pod) >= 3, "UDP from the pod must arrive");
        QVERIFY2(countRows(rows, 3, QStringLiteral("5002"), 1, pod) >= 3, "UDP to the pod must arrive");
        QVERIFY2(countRows(rows, 5, QStringLiteral("5003"), 0, pod) >= 1, "the TCP SYN from the pod must arrive");
        QVERIFY2(countRows(rows, 4, QStringLiteral("5003"), 1, pod) >= 1, "the TCP RST to the pod must arrive");

        QVERIFY2(!stats.isEmpty(), "a stats event every --stats-interval");
        QVERIFY(stats.contains(QStringLiteral("tx_errors")) && stats.contains(QStringLiteral("tx_dropped")));
        QVERIFY(AgentRig::stop(*agent, SIGTERM));
        const QJsonObject stopped = AgentRig::waitForEvent(*agent, QStringLiteral("stopped"), 1000, &seen);
        QCOMPARE(stopped.value(QStringLiteral("reason")).toString(), QStringLiteral("signal"));
        QCOMPARE(agent->exitCode(), 0);
        // The final counters come with `stopped`, read once the traffic is over: a periodic `stats` line may
        // have been written before the last packet was counted.
        const QByteArray stoppedText = QJsonDocument(stopped).toJson(QJsonDocument::Compact);
        QVERIFY2(stopped.value(QStringLiteral("egress_packets")).toInteger() >= 7, stoppedText.constData());
        QVERIFY2(stopped.value(QStringLiteral("ingress_packets")).toInteger() >= 7, stoppedText.constData());
        QCOMPARE(stopped.value(QStringLiteral("packets")).toInteger(),
            stopped.value(QStringLiteral("egress_packets")).toInteger() +
                stopped.value(QStringLiteral("ingress_packets")).toInteger());
        QVERIFY2(stopped.value(QStringLiteral("bytes")).toInteger() >
                stopped.value(QStringLiteral("packets")).toInteger() * 28,
            stoppedText.constData());
        for (const char *field : {"ingress_bytes", "egress_bytes", "tx_errors", "tx_dropped"}) {
            QVERIFY2(stopped.contains(QLatin1String(field)), field);
        }
        // No counter goes back: the final ones are at least the last periodic ones.
        for (const QJsonObject &event : seen) {
            if (event.value(QStringLiteral("event")) == QStringLiteral("stats")) {
                QVERIFY(event.value(QStringLiteral("egress_packets")).toInteger() <=
                    stopped.value(QStringLiteral("egress_packets")).toInteger());
            }
        }
        verifyNothingLeft(*m_rig, QStringLiteral("ptap%1").arg(kVni));
    }

    void ingressOnlyCarriesNoEgressPacket()
    {
        QList<QJsonObject> seen;
        QJsonObject ready;
        auto agent = startMirror({QStringLiteral("--direction"), QStringLiteral("ingress")}, &ready, &seen);
        QVERIFY2(!ready.isEmpty(), agent->readAllStandardError().constData());
        QCOMPARE(ready.value(QStringLiteral("hooks")).toArray(), QJsonArray {QStringLiteral("ingress")});
        QString error;
        RigCapture capture = m_rig->startCapture(QStringLiteral("rx"), &error);
        QVERIFY2(capture.process, qPrintable(error));
        sendMixedTraffic(*m_rig);
        const QList<QStringList> rows = m_rig->finishCapture(capture, kFields);
        QVERIFY(AgentRig::stop(*agent, SIGTERM));
        const QString pod = AgentRig::podIp();
        QVERIFY2(countRows(rows, 2, QStringLiteral("0"), 1, pod) >= 3, qPrintable(dump(rows)));
        QVERIFY2(countRows(rows, 3, QStringLiteral("5002"), 1, pod) >= 3, qPrintable(dump(rows)));
        QCOMPARE(countRows(rows, 0, pod), 0); // nothing the pod sent: no echo request, UDP 5001, SYN, ICMP error
        verifyNothingLeft(*m_rig, QStringLiteral("ptap%1").arg(kVni));
    }

    void bpfPassesOnlyMatchingPackets()
    {
        const QByteArray bytecode = mustRun(AgentRig::inNs(m_rig->podNs(),
            {QStringLiteral("tcpdump"), QStringLiteral("-ddd"), QStringLiteral("-i"), QStringLiteral("eth0"),
                QStringLiteral("udp"), QStringLiteral("port"), QStringLiteral("5001")}));
        QVERIFY(!bytecode.isEmpty());
        QList<QJsonObject> seen;
        QJsonObject ready;
        auto agent = startMirror({QStringLiteral("--bpf"), QString::fromLatin1(bytecode)}, &ready, &seen);
        QVERIFY2(!ready.isEmpty(), agent->readAllStandardError().constData());
        QCOMPARE(ready.value(QStringLiteral("filter")).toString(), QStringLiteral("bpf"));
        QString error;
        RigCapture capture = m_rig->startCapture(QStringLiteral("rx"), &error);
        QVERIFY2(capture.process, qPrintable(error));
        sendMixedTraffic(*m_rig);
        AgentRig::bashIn(m_rig->podNs(), QStringLiteral("for i in 1 2 3; do echo x > /dev/udp/192.0.2.1/5009; done"));
        const QList<QStringList> rows = m_rig->finishCapture(capture, kFields);
        QVERIFY(AgentRig::stop(*agent, SIGTERM));
        QVERIFY2(countRows(rows, 3, QStringLiteral("5001")) >= 3, "UDP port 5001 matches the filter");
        QStringList others;
        for (const QStringList &row : rows) {
            if (row.value(3) != QStringLiteral("5001")) {
                others << row.join(QLatin1Char(' '));
            }
        }
        QVERIFY2(others.isEmpty(),
            qPrintable(QStringLiteral("only UDP 5001 may arrive, also got: ") + others.join(QStringLiteral("; "))));
        verifyNothingLeft(*m_rig, QStringLiteral("ptap%1").arg(kVni));
    }

    void ipv6UnderlayWorksAndWarnsAboutMtu()
    {
        AgentRig rig(QStringLiteral("6%1").arg(::getpid()));
        QString error;
        AgentRigOptions options;
        options.ipv6Underlay = true;
        options.podMtu = 1450; // + 70 for VXLAN over IPv6 exceeds 1500
        QVERIFY2(rig.setUp(options, &error), qPrintable(error));
        auto receiver = rig.startReceiver(77, QStringLiteral("rx6"));
        QVERIFY(!AgentRig::waitForEvent(*receiver, QStringLiteral("ready"), 10000, nullptr).isEmpty());
        QList<QJsonObject> seen;
        auto agent = rig.startAgent({QStringLiteral("mirror"), QStringLiteral("--pod-uid"), rig.podUid(),
            QStringLiteral("--proc-root"), rig.procRoot(), QStringLiteral("--vni"), QStringLiteral("77"),
            QStringLiteral("--remote"), rig.receiverUnderlayIp()});
        const QJsonObject ready = AgentRig::waitForEvent(*agent, QStringLiteral("ready"), 10000, &seen);
        QVERIFY2(!ready.isEmpty(), agent->readAllStandardError().constData());
        QCOMPARE(ready.value(QStringLiteral("local")).toString(), rig.nodeUnderlayIp());
        const auto warning = std::find_if(seen.begin(), seen.end(),
            [](const QJsonObject &e) { return e.value(QStringLiteral("event")) == QStringLiteral("warning"); });
        QVERIFY2(warning != seen.end(), "pod MTU 1450 + 70 > 1500 must warn");
        QCOMPARE(warning->value(QStringLiteral("pod_mtu")).toInt(), 1450);
        QCOMPARE(warning->value(QStringLiteral("underlay_mtu")).toInt(), 1500);
        QCOMPARE(warning->value(QStringLiteral("overhead")).toInt(), 70);
        RigCapture capture = rig.startCapture(QStringLiteral("rx6"), &error);
        QVERIFY2(capture.process, qPrintable(error));
        sendMixedTraffic(rig);
        const QList<QStringList> rows = rig.finishCapture(capture, kFields);
        QVERIFY(AgentRig::stop(*agent, SIGTERM));
        QVERIFY(AgentRig::stop(*receiver, SIGTERM));
        QVERIFY2(countRows(rows, 2, QStringLiteral("8"), 0, AgentRig::podIp()) >= 3, "echo requests over IPv6");
        QVERIFY2(countRows(rows, 2, QStringLiteral("0"), 1, AgentRig::podIp()) >= 3, "echo replies over IPv6");
    }

    void cleanupTestCase()
    {
        if (m_receiver) {
            AgentRig::stop(*m_receiver, SIGTERM);
        }
        m_rig.reset();
    }
};

QTEST_GUILESS_MAIN(TestAgentMirror)
#include "tst_agent_mirror.moc"
