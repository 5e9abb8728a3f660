// SPDX-License-Identifier: Apache-2.0
#include "agent_rig.h"
#include "support/privileged.h"
#include "support/process.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <unistd.h>

using namespace podtap::test;

namespace {

constexpr auto kInbound = "0x00000001";
constexpr auto kOutbound = "0x00000002";

/// What the pod netns and the node netns look like to `ip` and `tc`: a stream must change none of it.
QByteArray netnsState(const AgentRig &rig)
{
    QByteArray state;
    for (const QString &ns : {rig.podNs(), rig.nodeNs()}) {
        state += mustRun({QStringLiteral("ip"), QStringLiteral("-n"), ns, QStringLiteral("-d"), QStringLiteral("link"),
            QStringLiteral("show")});
        state +=
            mustRun({QStringLiteral("tc"), QStringLiteral("-n"), ns, QStringLiteral("qdisc"), QStringLiteral("show")});
    }
    for (const QString &hook : {QStringLiteral("ingress"), QStringLiteral("egress")}) {
        state += mustRun({QStringLiteral("tc"), QStringLiteral("-n"), rig.podNs(), QStringLiteral("filter"),
            QStringLiteral("show"), QStringLiteral("dev"), QStringLiteral("eth0"), hook});
    }
    return state;
}

/// tshark's rows for @p fields of the pcapng in @p file (read with `tshark -r`).
QList<QStringList> readPcapng(const QString &file, const QStringList &fields)
{
    QStringList command = {QStringLiteral("tshark"), QStringLiteral("-r"), file, QStringLiteral("-T"),
        QStringLiteral("fields"), QStringLiteral("-E"), QStringLiteral("separator=|")};
    for (const QString &field : fields) {
        command << QStringLiteral("-e") << field;
    }
    const ProcessResult result = run(command, 60000);
    [&] { QVERIFY2(result.ok(), qPrintable(result.describe(command))); }();
    QList<QStringList> rows;
    for (const QByteArray &line : result.out.split('\n')) {
        if (!line.isEmpty()) {
            rows << QString::fromUtf8(line).split(QLatin1Char('|'));
        }
    }
    return rows;
}

/// Sends ICMP echo both ways (pod → node: requests outbound, replies inbound) with 1000-byte payloads, and UDP
/// datagrams on ports 5001 (kept by the test's filter) and 5002 (filtered out), in both directions.
void sendTraffic(const AgentRig &rig)
{
    run(AgentRig::inNs(rig.podNs(),
        {QStringLiteral("ping"), QStringLiteral("-c"), QStringLiteral("3"), QStringLiteral("-i"), QStringLiteral("0.2"),
            QStringLiteral("-s"), QStringLiteral("1000"), AgentRig::nodePodSideIp()}));
    for (const QString &port : {QStringLiteral("5001"), QStringLiteral("5002")}) {
        AgentRig::bashIn(rig.podNs(),
            QStringLiteral("for i in 1 2 3; do echo out > /dev/udp/%1/%2; done").arg(AgentRig::nodePodSideIp(), port));
        AgentRig::bashIn(rig.nodeNs(),
            QStringLiteral("for i in 1 2 3; do echo in > /dev/udp/%1/%2; done").arg(AgentRig::podIp(), port));
    }
}

} // namespace

// The filters below keep ICMP echo requests and replies only, never all ICMP: a datagram to a closed port draws
// an ICMP error, which quotes the datagram's ports.

/// @brief `podtap-agent stream` on a netns rig: pcapng on stdout read by the real tshark, JSON events on stderr,
/// every way it stops, and nothing added to the pod netns.
class TestAgentStream final : public QObject
{
    Q_OBJECT

    std::unique_ptr<AgentRig> m_rig;
    QTemporaryDir m_dir;

    QStringList streamArgs(const AgentRig &rig, const QStringList &extra) const
    {
        return QStringList {AgentRig::agentPath(), QStringLiteral("stream"), QStringLiteral("--container-id"),
                   QStringLiteral("containerd://") + rig.containerId(), QStringLiteral("--proc-root"), rig.procRoot()} +
            extra;
    }

    /// Starts a stream in the node netns, its stdout into @p stdoutFile, its stderr (the events) readable.
    std::unique_ptr<QProcess> startStream(const AgentRig &rig, const QStringList &extra, const QString &stdoutFile)
    {
        auto process = std::make_unique<QProcess>();
        process->setReadChannel(QProcess::StandardError);
        process->setStandardOutputFile(stdoutFile);
        const QStringList command = AgentRig::inNs(rig.nodeNs(), streamArgs(rig, extra));
        process->start(command.first(), command.mid(1));
        process->waitForStarted(5000);
        return process;
    }

    /// The classic BPF that tcpdump compiles for @p expression.
    QString bpf(const QString &expression) const
    {
        return QString::fromLatin1(mustRun(AgentRig::inNs(m_rig->podNs(),
            QStringList {
                QStringLiteral("tcpdump"), QStringLiteral("-ddd"), QStringLiteral("-i"), QStringLiteral("eth0")} +
                expression.split(QLatin1Char(' ')))));
    }

    static void expectStop(QProcess &agent, const QString &reason, QJsonObject *stopped = nullptr)
    {
        const QJsonObject event = AgentRig::waitForEvent(agent, QStringLiteral("stopped"), 20000, nullptr);
        QVERIFY2(!event.isEmpty(), "no stopped event");
        QCOMPARE(event.value(QStringLiteral("reason")).toString(), reason);
        QVERIFY(agent.waitForFinished(10000));
        QCOMPARE(agent.exitStatus(), QProcess::NormalExit);
        QCOMPARE(agent.exitCode(), 0);
        if (stopped) {
            *stopped = event;
        }
    }

private Q_SLOTS:
    void initTestCase()
    {
        PODTAP_REQUIRE_PRIVILEGED();
        QVERIFY2(QFileInfo::exists(AgentRig::agentPath()), qPrintable(AgentRig::agentPath()));
        m_rig = std::make_unique<AgentRig>(QStringLiteral("s%1").arg(::getpid()));
        QString error;
        QVERIFY2(m_rig->setUp(AgentRigOptions {}, &error), qPrintable(error));
    }

    void cleanupTestCase() { m_rig.reset(); }

    void capturesThroughRealTsharkFromStdin()
    {
        const QByteArray before = netnsState(*m_rig);
        // stdout straight into `tshark -r -`, as a console or a person would pipe it.
        QProcess tshark;
        QProcess agent;
        agent.setReadChannel(QProcess::StandardError);
        agent.setStandardOutputProcess(&tshark);
        tshark.start(QStringLiteral("tshark"),
            {QStringLiteral("-r"), QStringLiteral("-"), QStringLiteral("-T"), QStringLiteral("fields"),
                QStringLiteral("-E"), QStringLiteral("separator=|"), QStringLiteral("-e"),
                QStringLiteral("frame.interface_name"), QStringLiteral("-e"),
                QStringLiteral("frame.packet_flags_direction"), QStringLiteral("-e"), QStringLiteral("ip.src"),
                QStringLiteral("-e"), QStringLiteral("icmp.type"), QStringLiteral("-e"), QStringLiteral("udp.dstport"),
                QStringLiteral("-e"), QStringLiteral("frame.len"), QStringLiteral("-e"),
                QStringLiteral("frame.cap_len")});
        const QStringList command = AgentRig::inNs(m_rig->nodeNs(),
            streamArgs(*m_rig,
                {QStringLiteral("--if-name"), QStringLiteral("ns1/pod1/eth0"), QStringLiteral("--snaplen"),
                    QStringLiteral("200"), QStringLiteral("--bpf"),
                    bpf(QStringLiteral("icmp[0] == 8 or icmp[0] == 0 or udp port 5001"))}));
        agent.start(command.first(), command.mid(1));
        QList<QJsonObject> seen;
        const QJsonObject ready = AgentRig::waitForEvent(agent, QStringLiteral("ready"), 10000, &seen);
        QVERIFY2(!ready.isEmpty(), agent.readAllStandardError().constData());
        QCOMPARE(ready.value(QStringLiteral("command")).toString(), QStringLiteral("stream"));
        QCOMPARE(ready.value(QStringLiteral("interface")).toString(), QStringLiteral("eth0"));
        QCOMPARE(ready.value(QStringLiteral("if_name")).toString(), QStringLiteral("ns1/pod1/eth0"));
        QCOMPARE(ready.value(QStringLiteral("snaplen")).toInt(), 200);
        QCOMPARE(ready.value(QStringLiteral("filter")).toString(), QStringLiteral("bpf"));
        QCOMPARE(ready.value(QStringLiteral("contract")).toInt(), 2);
        QVERIFY(!ready.value(QStringLiteral("version")).toString().isEmpty());

        sendTraffic(*m_rig);
        QCOMPARE(netnsState(*m_rig), before); // nothing added while it runs
        const QJsonObject stats = AgentRig::waitForEvent(agent, QStringLiteral("stats"), 5000, &seen);
        QVERIFY2(stats.contains(QStringLiteral("ring_drops")) && stats.contains(QStringLiteral("packets")),
            qPrintable(QString::number(seen.size())));

        agent.closeWriteChannel(); // stdin EOF: the console's exec closing
        QJsonObject stopped;
        expectStop(agent, QStringLiteral("stdin-closed"), &stopped);
        QVERIFY(tshark.waitForFinished(30000));
        QCOMPARE(tshark.exitCode(), 0);
        QCOMPARE(netnsState(*m_rig), before);

        QList<QStringList> rows;
        for (const QByteArray &line : tshark.readAllStandardOutput().split('\n')) {
            if (!line.isEmpty()) {
                rows << QString::fromUtf8(line).split(QLatin1Char('|'));
            }
        }
        QCOMPARE(stopped.value(QStringLiteral("packets")).toInteger(), rows.size());
        QCOMPARE(stopped.value(QStringLiteral("ring_drops")).toInteger(), 0);
        int requests = 0;
        int replies = 0;
        int udpIn = 0;
        int udpOut = 0;
        for (const QStringList &row : rows) {
            QCOMPARE(row.size(), 7);
            QCOMPARE(row[0], QStringLiteral("ns1/pod1/eth0"));
            QVERIFY2(row[4] != QStringLiteral("5002"), "the filtered-out flow was captured");
            const bool fromPod = row[2] == AgentRig::podIp();
            // Direction from the packet type: the pod's own frames are outbound, the rest inbound.
            QCOMPARE(row[1], QString::fromLatin1(fromPod ? kOutbound : kInbound));
            if (row[3] == QStringLiteral("8")) {
                ++requests;
                QVERIFY(fromPod);
                QCOMPARE(row[5], QStringLiteral("1042")); // 1000 bytes of payload + ICMP, IP, Ethernet
                QCOMPARE(row[6], QStringLiteral("200")); // cut at the snaplen
            } else if (row[3] == QStringLiteral("0")) {
                ++replies;
                QCOMPARE(row[6], QStringLiteral("200"));
            } else if (row[4] == QStringLiteral("5001")) {
                ++(fromPod ? udpOut : udpIn);
            }
        }
        QCOMPARE(requests, 3);
        QCOMPARE(replies, 3);
        QCOMPARE(udpOut, 3);
        QCOMPARE(udpIn, 3);
    }

    void direction_data()
    {
        QTest::addColumn<QString>("direction");
        QTest::addColumn<QString>("flag");
        QTest::newRow("ingress") << QStringLiteral("ingress") << QString::fromLatin1(kInbound);
        QTest::newRow("egress") << QStringLiteral("egress") << QString::fromLatin1(kOutbound);
    }

    void direction()
    {
        QFETCH(QString, direction);
        QFETCH(QString, flag);
        const QString file = m_dir.filePath(QStringLiteral("direction-%1.pcapng").arg(direction));
        auto agent = startStream(*m_rig,
            {QStringLiteral("--direction"), direction, QStringLiteral("--bpf"),
                bpf(QStringLiteral("icmp[0] == 8 or icmp[0] == 0"))},
            file);
        QVERIFY2(!AgentRig::waitForEvent(*agent, QStringLiteral("ready"), 10000, nullptr).isEmpty(),
            agent->readAllStandardError().constData());
        sendTraffic(*m_rig);
        QVERIFY(AgentRig::stop(*agent, SIGTERM));
        QCOMPARE(agent->exitCode(), 0);
        const QList<QStringList> rows =
            readPcapng(file, {QStringLiteral("frame.packet_flags_direction"), QStringLiteral("icmp.type")});
        QCOMPARE(rows.size(), 3); // the three requests, or the three replies
        for (const QStringList &row : rows) {
            QCOMPARE(row[0], flag);
            QCOMPARE(row[1], direction == QStringLiteral("egress") ? QStringLiteral("8") : QStringLiteral("0"));
        }
    }

    void sigtermStopsAndTheFileIsWhole()
    {
        const QString file = m_dir.filePath(QStringLiteral("sigterm.pcapng"));
        const QByteArray before = netnsState(*m_rig);
        auto agent = startStream(*m_rig, {QStringLiteral("--stats-interval"), QStringLiteral("0")}, file);
        QVERIFY(!AgentRig::waitForEvent(*agent, QStringLiteral("ready"), 10000, nullptr).isEmpty());
        sendTraffic(*m_rig);
        ::kill(static_cast<pid_t>(agent->processId()), SIGTERM);
        QJsonObject stopped;
        expectStop(*agent, QStringLiteral("signal"), &stopped);
        // Every block in the file is whole: tshark reads it without complaint, one row per packet counted.
        const QList<QStringList> rows = readPcapng(file, {QStringLiteral("frame.number")});
        QVERIFY(rows.size() >= 12);
        QCOMPARE(stopped.value(QStringLiteral("packets")).toInteger(), rows.size());
        QCOMPARE(QFileInfo(file).size(), stopped.value(QStringLiteral("pcapng_bytes")).toInteger());
        QCOMPARE(netnsState(*m_rig), before);
    }

    void stopLineOnStdin()
    {
        auto agent = startStream(*m_rig, {}, m_dir.filePath(QStringLiteral("stopline.pcapng")));
        QVERIFY(!AgentRig::waitForEvent(*agent, QStringLiteral("ready"), 10000, nullptr).isEmpty());
        agent->write("stop\n");
        expectStop(*agent, QStringLiteral("stdin-stop"));
    }

    void closedReaderStopsIt()
    {
        // The reader takes one byte and goes: the next write gets EPIPE (SIGPIPE is ignored).
        QProcess reader;
        QProcess agent;
        agent.setReadChannel(QProcess::StandardError);
        agent.setStandardOutputProcess(&reader);
        reader.start(QStringLiteral("head"), {QStringLiteral("-c"), QStringLiteral("1")});
        const QStringList command = AgentRig::inNs(m_rig->nodeNs(), streamArgs(*m_rig, {}));
        agent.start(command.first(), command.mid(1));
        QVERIFY(!AgentRig::waitForEvent(agent, QStringLiteral("ready"), 10000, nullptr).isEmpty());
        QVERIFY(reader.waitForFinished(10000));
        sendTraffic(*m_rig);
        expectStop(agent, QStringLiteral("stdout-closed"));
    }

    void heartbeatLapseStopsIt()
    {
        auto agent = startStream(*m_rig,
            {QStringLiteral("--heartbeat-file"), m_dir.filePath(QStringLiteral("no-annotations")),
                QStringLiteral("--heartbeat-timeout"), QStringLiteral("2")},
            m_dir.filePath(QStringLiteral("heartbeat.pcapng")));
        QVERIFY(!AgentRig::waitForEvent(*agent, QStringLiteral("ready"), 10000, nullptr).isEmpty());
        expectStop(*agent, QStringLiteral("heartbeat"));
    }

    void deadlineStopsIt()
    {
        auto agent = startStream(*m_rig, {QStringLiteral("--deadline"), QStringLiteral("1")},
            m_dir.filePath(QStringLiteral("deadline.pcapng")));
        QVERIFY(!AgentRig::waitForEvent(*agent, QStringLiteral("ready"), 10000, nullptr).isEmpty());
        expectStop(*agent, QStringLiteral("deadline"));
    }

    void missingInterfaceIsTargetNotFound()
    {
        const ProcessResult result = run(AgentRig::inNs(
            m_rig->nodeNs(), streamArgs(*m_rig, {QStringLiteral("--interface"), QStringLiteral("eth9")})));
        QCOMPARE(result.exitCode, 3);
        QVERIFY(result.out.isEmpty());
        QVERIFY2(result.err.contains("\"event\":\"error\"") && result.err.contains("eth9"), result.err.constData());
    }

    void capabilitiesItNeeds_data()
    {
        QTest::addColumn<QString>("bounding");
        QTest::addColumn<int>("exitCode");
        // What an agent pod for a stream must be given: NET_RAW (the packet socket), SYS_ADMIN (setns) and
        // SYS_PTRACE (another process's netns link). NET_ADMIN is not needed: nothing is configured.
        QTest::newRow("NET_RAW, SYS_ADMIN, SYS_PTRACE") << QStringLiteral("-all,+net_raw,+sys_admin,+sys_ptrace") << 0;
        QTest::newRow("without NET_RAW") << QStringLiteral("-all,+net_admin,+sys_admin,+sys_ptrace") << 4;
    }

    void capabilitiesItNeeds()
    {
        QFETCH(QString, bounding);
        QFETCH(int, exitCode);
        auto process = std::make_unique<QProcess>();
        process->setReadChannel(QProcess::StandardError);
        process->setStandardOutputFile(m_dir.filePath(QStringLiteral("caps.pcapng")));
        const QStringList command = AgentRig::inNs(m_rig->nodeNs(),
            QStringList {QStringLiteral("setpriv"), QStringLiteral("--bounding-set"), bounding,
                QStringLiteral("--inh-caps"), QStringLiteral("-all")} +
                streamArgs(*m_rig, {QStringLiteral("--deadline"), QStringLiteral("1")}));
        process->start(command.first(), command.mid(1));
        QVERIFY(process->waitForFinished(20000));
        const QByteArray err = process->readAllStandardError();
        QVERIFY2(process->exitCode() == exitCode, err.constData());
        if (exitCode == 0) {
            QVERIFY2(err.contains("\"reason\":\"deadline\""), err.constData());
        } else {
            QVERIFY2(err.contains("CAP_NET_RAW"), err.constData());
        }
    }

    void vlanTagIsPutBack()
    {
        // veth offloads the 802.1Q tag: the kernel keeps it beside the frame, and the ring reports it in
        // tp_vlan_tci. The pcapng must show the frame as on the wire, tag included.
        const QList<QStringList> setUp = {
            {QStringLiteral("ip"), QStringLiteral("-n"), m_rig->podNs(), QStringLiteral("link"), QStringLiteral("add"),
                QStringLiteral("link"), QStringLiteral("eth0"), QStringLiteral("name"), QStringLiteral("eth0.100"),
                QStringLiteral("type"), QStringLiteral("vlan"), QStringLiteral("id"), QStringLiteral("100")},
            {QStringLiteral("ip"), QStringLiteral("-n"), m_rig->nodeNs(), QStringLiteral("link"), QStringLiteral("add"),
                QStringLiteral("link"), QStringLiteral("vpod"), QStringLiteral("name"), QStringLiteral("vpod.100"),
                QStringLiteral("type"), QStringLiteral("vlan"), QStringLiteral("id"), QStringLiteral("100")},
            {QStringLiteral("ip"), QStringLiteral("-n"), m_rig->podNs(), QStringLiteral("addr"), QStringLiteral("add"),
                QStringLiteral("203.0.113.2/24"), QStringLiteral("dev"), QStringLiteral("eth0.100")},
            {QStringLiteral("ip"), QStringLiteral("-n"), m_rig->nodeNs(), QStringLiteral("addr"), QStringLiteral("add"),
                QStringLiteral("203.0.113.1/24"), QStringLiteral("dev"), QStringLiteral("vpod.100")},
            {QStringLiteral("ip"), QStringLiteral("-n"), m_rig->podNs(), QStringLiteral("link"), QStringLiteral("set"),
                QStringLiteral("eth0.100"), QStringLiteral("up")},
            {QStringLiteral("ip"), QStringLiteral("-n"), m_rig->nodeNs(), QStringLiteral("link"), QStringLiteral("set"),
                QStringLiteral("vpod.100"), QStringLiteral("up")},
        };
        const auto removeVlans = [this] {
            run({QStringLiteral("ip"), QStringLiteral("-n"), m_rig->podNs(), QStringLiteral("link"),
                QStringLiteral("del"), QStringLiteral("eth0.100")});
            run({QStringLiteral("ip"), QStringLiteral("-n"), m_rig->nodeNs(), QStringLiteral("link"),
                QStringLiteral("del"), QStringLiteral("vpod.100")});
        };
        const ProcessResult probe = run(setUp.first());
        if (probe.exitCode != 0 && probe.err.contains("Unknown device type")) {
            QSKIP("this kernel has no 802.1Q VLAN devices (the 8021q module is not loaded), so no tagged frame can be "
                  "made here");
        }
        QVERIFY2(probe.ok(), qPrintable(probe.describe(setUp.first())));
        for (const QStringList &step : setUp.mid(1)) {
            mustRun(step);
        }
        const QString file = m_dir.filePath(QStringLiteral("vlan.pcapng"));
        auto agent = startStream(*m_rig, {}, file);
        QVERIFY(!AgentRig::waitForEvent(*agent, QStringLiteral("ready"), 10000, nullptr).isEmpty());
        run(AgentRig::inNs(m_rig->podNs(),
            {QStringLiteral("ping"), QStringLiteral("-c"), QStringLiteral("2"), QStringLiteral("-i"),
                QStringLiteral("0.2"), QStringLiteral("203.0.113.1")}));
        ::kill(static_cast<pid_t>(agent->processId()), SIGTERM);
        QJsonObject stopped;
        expectStop(*agent, QStringLiteral("signal"), &stopped);
        removeVlans();
        QVERIFY2(stopped.value(QStringLiteral("vlan_tags_restored")).toInteger() >= 4,
            qPrintable(QString::number(stopped.value(QStringLiteral("vlan_tags_restored")).toInteger())));
        int requests = 0;
        int replies = 0;
        for (const QStringList &row : readPcapng(file,
                 {QStringLiteral("vlan.id"), QStringLiteral("icmp.type"), QStringLiteral("ip.dst"),
                     QStringLiteral("frame.packet_flags_direction")})) {
            if (row[2] != QStringLiteral("203.0.113.1") && row[2] != QStringLiteral("203.0.113.2")) {
                continue;
            }
            QCOMPARE(row[0], QStringLiteral("100"));
            if (row[1] == QStringLiteral("8")) {
                ++requests;
                QCOMPARE(row[3], QString::fromLatin1(kOutbound));
            } else if (row[1] == QStringLiteral("0")) {
                ++replies;
                QCOMPARE(row[3], QString::fromLatin1(kInbound));
            }
        }
        QCOMPARE(requests, 2);
        QCOMPARE(replies, 2);
    }

    void fullMtuFramesAllArrive()
    {
        // A pod whose MTU equals the underlay's: a mirror's VXLAN encapsulation would not fit, a stream adds
        // nothing to the frame. Every full-size frame, both ways, is in the pcapng at full length.
        AgentRig rig(QStringLiteral("u%1").arg(::getpid()));
        AgentRigOptions options;
        options.podMtu = 1500;
        options.underlayMtu = 1500;
        QString error;
        QVERIFY2(rig.setUp(options, &error), qPrintable(error));
        const QString file = m_dir.filePath(QStringLiteral("mtu.pcapng"));
        auto agent = startStream(rig, {QStringLiteral("--bpf"), bpf(QStringLiteral("udp port 5009"))}, file);
        const QJsonObject ready = AgentRig::waitForEvent(*agent, QStringLiteral("ready"), 10000, nullptr);
        QVERIFY2(!ready.isEmpty(), agent->readAllStandardError().constData());
        QCOMPARE(ready.value(QStringLiteral("mtu")).toInt(), 1500);
        const QString blast = builtExecutable(QStringLiteral("tests/agent/udp_blast"));
        const auto send = [&](const QString &ns, const QString &to) {
            const ProcessResult sent = run(AgentRig::inNs(ns,
                {blast, QStringLiteral("--to"), to, QStringLiteral("--port"), QStringLiteral("5009"),
                    QStringLiteral("--pps"), QStringLiteral("2000"), QStringLiteral("--seconds"), QStringLiteral("1"),
                    QStringLiteral("--size"), QStringLiteral("1472")}));
            const QStringList words = QString::fromUtf8(sent.out).split(QLatin1Char(' '), Qt::SkipEmptyParts);
            // "sent <n> in <s> s (<pps> pps)"
            return words.size() >= 2 && words[0] == QStringLiteral("sent") ? words[1].toInt() : -1;
        };
        // Resolve the neighbours first: datagrams queued behind an unresolved neighbour can be dropped before
        // they reach the device, although the sender counted them.
        mustRun(AgentRig::inNs(rig.podNs(),
            {QStringLiteral("ping"), QStringLiteral("-c"), QStringLiteral("1"), AgentRig::nodePodSideIp()}));
        mustRun(AgentRig::inNs(
            rig.nodeNs(), {QStringLiteral("ping"), QStringLiteral("-c"), QStringLiteral("1"), AgentRig::podIp()}));
        const int inbound = send(rig.nodeNs(), AgentRig::podIp());
        const int outbound = send(rig.podNs(), AgentRig::nodePodSideIp());
        QVERIFY2(inbound > 1000 && outbound > 1000, qPrintable(QStringLiteral("%1 %2").arg(inbound).arg(outbound)));
        ::kill(static_cast<pid_t>(agent->processId()), SIGTERM);
        QJsonObject stopped;
        expectStop(*agent, QStringLiteral("signal"), &stopped);
        QCOMPARE(stopped.value(QStringLiteral("ring_drops")).toInteger(), 0);
        int in = 0;
        int out = 0;
        for (const QStringList &row : readPcapng(file,
                 {QStringLiteral("frame.packet_flags_direction"), QStringLiteral("frame.len"),
                     QStringLiteral("frame.cap_len")})) {
            QCOMPARE(row[1], QStringLiteral("1514")); // 1472 + UDP + IP + Ethernet: a full 1500-byte MTU frame
            QCOMPARE(row[2], QStringLiteral("1514"));
            ++(row[0] == QString::fromLatin1(kInbound) ? in : out);
        }
        QCOMPARE(in, inbound);
        QCOMPARE(out, outbound);
        rig.tearDown();
    }

    void keepsUpAfterABacklogIntoAFile()
    {
        // stdout to a regular file, as a person redirecting it would: a write never blocks for long there, so
        // once a backlog larger than the output buffer is in the ring, the stream must go straight back to the
        // ring, not wait for the next timer. The backlog is made by stopping the agent while frames arrive, then
        // a steady, modest rate follows that any reader keeps up with.
        const QString file = m_dir.filePath(QStringLiteral("backlog.pcapng"));
        auto agent = startStream(*m_rig,
            {QStringLiteral("--direction"), QStringLiteral("egress"), QStringLiteral("--bpf"),
                bpf(QStringLiteral("udp port 5010"))},
            file);
        QVERIFY2(!AgentRig::waitForEvent(*agent, QStringLiteral("ready"), 10000, nullptr).isEmpty(),
            agent->readAllStandardError().constData());
        mustRun(AgentRig::inNs(m_rig->podNs(),
            {QStringLiteral("ping"), QStringLiteral("-c"), QStringLiteral("1"), AgentRig::nodePodSideIp()}));
        const QString blastPath = builtExecutable(QStringLiteral("tests/agent/udp_blast"));
        const auto blast = [&](int pps, double seconds) {
            const ProcessResult sent = run(AgentRig::inNs(m_rig->podNs(),
                {blastPath, QStringLiteral("--to"), AgentRig::nodePodSideIp(), QStringLiteral("--port"),
                    QStringLiteral("5010"), QStringLiteral("--pps"), QString::number(pps), QStringLiteral("--seconds"),
                    QString::number(seconds), QStringLiteral("--size"), QStringLiteral("1472")}));
            const QStringList words = QString::fromUtf8(sent.out).split(QLatin1Char(' '), Qt::SkipEmptyParts);
            return words.size() >= 2 && words[0] == QStringLiteral("sent") ? words[1].toInt() : -1;
        };
        const auto pid = static_cast<pid_t>(agent->processId());
        QCOMPARE(::kill(pid, SIGSTOP), 0);
        // About 4.5 MiB of ring (8 MiB) at once: more than the 2 MiB output buffer, well less than the ring. Sent
        // fast, because the kernel hands over a block that is not full after 20 ms, and a trickle would fill the
        // ring's 8 blocks with a few frames each.
        const int backlog = blast(60000, 0.05);
        QCOMPARE(::kill(pid, SIGCONT), 0);
        // About 4.4 MB/s for 2 s, a block every 20 ms: the ring's 8 blocks last 160 ms without a reader.
        const int steady = blast(3000, 2);
        QVERIFY2(backlog > 2500 && steady > 5000, qPrintable(QStringLiteral("%1 %2").arg(backlog).arg(steady)));
        QCOMPARE(::kill(pid, SIGTERM), 0);
        QJsonObject stopped;
        expectStop(*agent, QStringLiteral("signal"), &stopped);
        QCOMPARE(stopped.value(QStringLiteral("ring_drops")).toInteger(), 0);
        QCOMPARE(stopped.value(QStringLiteral("packets")).toInteger(), backlog + steady);
        QCOMPARE(readPcapng(file, {QStringLiteral("frame.len")}).size(), backlog + steady);
    }
};

QTEST_GUILESS_MAIN(TestAgentStream)
#include "tst_agent_stream.moc"
