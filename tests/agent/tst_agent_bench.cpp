// SPDX-License-Identifier: Apache-2.0
#include "agent_rig.h"
#include "support/benchmark_report.h"
#include "support/privileged.h"
#include "support/process.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <algorithm>
#include <csignal>
#include <fcntl.h>
#include <functional>
#include <sched.h>
#include <unistd.h>

using namespace podtap::test;

namespace {

constexpr int kVni = 5150;
constexpr int kIperfSeconds = 3;
constexpr int kRepeats = 5; // each figure is the median of this many runs, interleaved

const char kMtuNote[] =
    "**Pod MTU = underlay MTU (target ≥ 50 %, not met).** Each mirrored full-size frame is 1500 + 50 "
    "bytes of VXLAN, so the node fragments every one and the receiver reassembles it; here both "
    "happen on the same two CPUs as the pod's TCP, and the pod falls to the ~13 % DESIGN.md measured "
    "for kokotap's design. What podtap does about it: the agent emits a `warning` event (`code: mtu`, "
    "`pod_mtu`, `underlay_mtu`, `overhead`) before `ready`, so the console can tell the operator; a "
    "kernel-side capture filter that leaves the bulk flow out (`--bpf`) keeps the pod at full speed "
    "(line above); pods with the usual overlay MTU (1450) are unaffected. Cutting mirrored frames "
    "short would fix it, but this kernel has only the mirred action (no trunc/skbmod), and a DF "
    "tunnel would silently drop the large frames from the capture instead.\n\n"
    "Measured by hand on the same rig (2026-11-27, load 2.2-2.7), to find the cause: with the "
    "underlay MTU raised to 1550, so that nothing is fragmented, the same tapped pod keeps 73-80 %; "
    "back at 1500 it keeps 8-9 %. In one tapped run the pod sent 301,783 segments, the node made "
    "599,859 fragments of 299,981 datagrams (exactly two per frame), the receiver reassembled 299,877 "
    "and no device dropped a packet: the capture is complete, the cost is CPU. Per mirrored frame, "
    "fragmenting costs about 2.7 µs in the pod's own send path (the pod's whole untapped cost is "
    "about 1.2 µs per segment), so even a receiver that costs nothing (frames dropped at its "
    "underlay) leaves the pod about 20 %. No device feature (segmentation, checksum offloads, `df`) "
    "changed that; a zero outer UDP checksum (RFC 7348's SHOULD, now the agent's default over IPv4) "
    "gave about a tenth more.\n";

} // namespace

/// @brief Measures agent start-up, the pod's throughput while tapped and capture fidelity.
class TestAgentBench final : public QObject
{
    Q_OBJECT

    QStringList m_lines;

    std::unique_ptr<QProcess> mirror(AgentRig &rig, const QStringList &extra)
    {
        auto agent =
            rig.startAgent(QStringList {QStringLiteral("mirror"), QStringLiteral("--container-id"), rig.containerId(),
                               QStringLiteral("--proc-root"), rig.procRoot(), QStringLiteral("--vni"),
                               QString::number(kVni), QStringLiteral("--remote"), rig.receiverUnderlayIp()} +
                extra);
        if (AgentRig::waitForEvent(*agent, QStringLiteral("ready"), 10000, nullptr).isEmpty()) {
            QTest::qFail(agent->readAllStandardError().constData(), __FILE__, __LINE__);
        }
        return agent;
    }

    /// TCP throughput pod -> node in Gbit/s.
    static double iperfTcp(const AgentRig &rig) { return rig.iperfTcpGbit(kIperfSeconds); }

private Q_SLOTS:
    void initTestCase() { PODTAP_REQUIRE_PRIVILEGED(); }

    void startToReady()
    {
        AgentRig rig(QStringLiteral("b%1").arg(::getpid()));
        QString error;
        QVERIFY2(rig.setUp(AgentRigOptions {}, &error), qPrintable(error));
        // Spawn the agent straight into the node netns (this process enters it), so the measurement has no
        // `ip netns exec` in it: process start -> ready line, including the /proc scan for the container.
        const int home = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        const int node = ::open(
            QFile::encodeName(QStringLiteral("/var/run/netns/") + rig.nodeNs()).constData(), O_RDONLY | O_CLOEXEC);
        QVERIFY(home >= 0 && node >= 0 && ::setns(node, CLONE_NEWNET) == 0);
        QList<double> ms;
        for (int i = 0; i < 20; ++i) {
            QProcess agent;
            QElapsedTimer timer;
            timer.start();
            agent.start(AgentRig::agentPath(),
                {QStringLiteral("mirror"), QStringLiteral("--container-id"),
                    QStringLiteral("containerd://") + rig.containerId(), QStringLiteral("--proc-root"), rig.procRoot(),
                    QStringLiteral("--vni"), QString::number(kVni), QStringLiteral("--remote"),
                    rig.receiverUnderlayIp()});
            const bool ready = !AgentRig::waitForEvent(agent, QStringLiteral("ready"), 10000, nullptr).isEmpty();
            ms << timer.nsecsElapsed() / 1e6;
            QVERIFY2(ready, agent.readAllStandardError().constData());
            QVERIFY(AgentRig::stop(agent, SIGTERM));
        }
        ::setns(home, CLONE_NEWNET);
        ::close(home);
        ::close(node);
        std::sort(ms.begin(), ms.end());
        const double median = (ms.at(9) + ms.at(10)) / 2;
        const int processes = QDir(QStringLiteral("/proc"))
                                  .entryList(QDir::Dirs)
                                  .filter(QRegularExpression(QStringLiteral("^\\d+$")))
                                  .size();
        m_lines << QStringLiteral(
            "| process start → `ready` (container ID found by scanning %1 processes, VXLAN + clsact + 2 "
            "filters installed), median of 20 | %2 ms (min %3, max %4) | < 20 ms |")
                       .arg(processes)
                       .arg(median, 0, 'f', 1)
                       .arg(ms.first(), 0, 'f', 1)
                       .arg(ms.last(), 0, 'f', 1);
    }

    void throughput()
    {
        for (const int podMtu : {1450, 1500}) {
            AgentRig rig(QStringLiteral("t%1").arg(::getpid()));
            QString error;
            AgentRigOptions options;
            options.podMtu = podMtu;
            QVERIFY2(rig.setUp(options, &error), qPrintable(error));
            auto receiver = rig.startReceiver(kVni, QStringLiteral("rx"));
            QVERIFY(!AgentRig::waitForEvent(*receiver, QStringLiteral("ready"), 10000, nullptr).isEmpty());

            // The machine is shared, so throughput drifts between runs: each variant is measured right after an
            // untapped run, kRepeats times, and the median of the ratios is reported.
            const auto compare = [&](const QString &label, const QString &target,
                                     const std::function<double()> &variant) {
                QList<double> base;
                QList<double> tapped;
                QList<double> ratios;
                for (int i = 0; i < kRepeats; ++i) {
                    base << iperfTcp(rig);
                    tapped << variant();
                    ratios << tapped.last() / base.last();
                }
                m_lines << QStringLiteral("| pod MTU %1: %2 | %3 Gbit/s vs %4 untapped: **%5 %** | %6 |")
                               .arg(podMtu)
                               .arg(label)
                               .arg(median(tapped), 0, 'f', 2)
                               .arg(median(base), 0, 'f', 2)
                               .arg(100 * median(ratios), 0, 'f', 0)
                               .arg(target);
            };
            double mirrored = 0;
            compare(QStringLiteral("mirror-all (u32 + mirred)"),
                podMtu == 1450 ? QStringLiteral("≥ 85 %") : QStringLiteral("≥ 50 %"), [&] {
                    auto agent = mirror(rig, {});
                    const qint64 before =
                        AgentRig::rxCounter(rig.receiverNs(), QStringLiteral("rx"), QStringLiteral("bytes"));
                    const double gbit = iperfTcp(rig);
                    mirrored = (AgentRig::rxCounter(rig.receiverNs(), QStringLiteral("rx"), QStringLiteral("bytes")) -
                                   before) *
                        8 / 1e9 / kIperfSeconds;
                    AgentRig::stop(*agent, SIGTERM);
                    return gbit;
                });
            m_lines << QStringLiteral(
                "| pod MTU %1: mirrored frames reaching the receiver's VXLAN device in the last run | %2 Gbit/s | |")
                           .arg(podMtu)
                           .arg(mirrored, 0, 'f', 2);
            const QByteArray bytecode = mustRun(AgentRig::inNs(rig.podNs(),
                {QStringLiteral("tcpdump"), QStringLiteral("-ddd"), QStringLiteral("-i"), QStringLiteral("eth0"),
                    QStringLiteral("not"), QStringLiteral("tcp"), QStringLiteral("port"), QStringLiteral("5201")}));
            compare(QStringLiteral("`--bpf` excluding the bulk flow (`not tcp port 5201`)"),
                podMtu == 1450 ? QStringLiteral("≥ 95 %") : QString(), [&] {
                    auto agent = mirror(rig, {QStringLiteral("--bpf"), QString::fromLatin1(bytecode)});
                    const double gbit = iperfTcp(rig);
                    AgentRig::stop(*agent, SIGTERM);
                    return gbit;
                });
            if (podMtu == 1450) {
                compare(QStringLiteral("anchor: `tcpdump -w /dev/null` in the pod netns"), QString(), [&] {
                    QProcess tcpdump;
                    tcpdump.start(QStringLiteral("ip"),
                        {QStringLiteral("netns"), QStringLiteral("exec"), rig.podNs(), QStringLiteral("tcpdump"),
                            QStringLiteral("-i"), QStringLiteral("eth0"), QStringLiteral("-w"),
                            QStringLiteral("/dev/null"), QStringLiteral("-s"), QStringLiteral("0")});
                    tcpdump.waitForReadyRead(5000);
                    const double gbit = iperfTcp(rig);
                    AgentRig::stop(tcpdump, SIGTERM);
                    return gbit;
                });
                // Capture fidelity: 100k pps of small UDP packets from the pod, mirrored egress only.
                const QByteArray udp = mustRun(AgentRig::inNs(rig.podNs(),
                    {QStringLiteral("tcpdump"), QStringLiteral("-ddd"), QStringLiteral("-i"), QStringLiteral("eth0"),
                        QStringLiteral("udp"), QStringLiteral("port"), QStringLiteral("5201")}));
                auto udpAgent = mirror(rig,
                    {QStringLiteral("--direction"), QStringLiteral("egress"), QStringLiteral("--bpf"),
                        QString::fromLatin1(udp)});
                // iperf3 reaches ~20k pps here; udp_blast paces sendmmsg batches to the rate asked.
                const QStringList blast {builtExecutable(QStringLiteral("tests/agent/udp_blast")),
                    QStringLiteral("--to"), AgentRig::nodePodSideIp(), QStringLiteral("--port"), QStringLiteral("5201"),
                    QStringLiteral("--pps"), QStringLiteral("100000"), QStringLiteral("--seconds"),
                    QStringLiteral("3")};
                static const QRegularExpression sentRe(QStringLiteral("sent (\\d+) in ([0-9.]+) s"));
                const qint64 before = AgentRig::rxCounter(rig.receiverNs(), QStringLiteral("rx"));
                const QRegularExpressionMatch blasted =
                    sentRe.match(QString::fromUtf8(mustRun(AgentRig::inNs(rig.podNs(), blast), 60000)));
                QThread::msleep(500);
                const qint64 captured = AgentRig::rxCounter(rig.receiverNs(), QStringLiteral("rx")) - before;
                AgentRig::stop(*udpAgent, SIGTERM);
                QVERIFY(blasted.hasMatch());
                const qint64 sent = blasted.captured(1).toLongLong();
                const double pps = double(sent) / blasted.captured(2).toDouble();
                m_lines << QStringLiteral("| UDP 64-byte payload at %1 pps for 3 s (udp_blast), mirrored egress with "
                                          "`--bpf 'udp port 5201'`: packets reaching the receiver's VXLAN device / "
                                          "packets the pod sent | %2 / %3 (%4 %) | ≥ 99.9 % |")
                               .arg(pps, 0, 'f', 0)
                               .arg(captured)
                               .arg(sent)
                               .arg(sent > 0 ? 100.0 * captured / sent : 0.0, 0, 'f', 2);

                // Anchor: tcpdump in the pod's namespace, on the same stream.
                QProcess tcpdump;
                tcpdump.setProcessChannelMode(QProcess::MergedChannels); // its counts come on stderr
                tcpdump.start(QStringLiteral("ip"),
                    {QStringLiteral("netns"), QStringLiteral("exec"), rig.podNs(), QStringLiteral("tcpdump"),
                        QStringLiteral("-i"), QStringLiteral("eth0"), QStringLiteral("-w"), QStringLiteral("/dev/null"),
                        QStringLiteral("udp"), QStringLiteral("port"), QStringLiteral("5201")});
                tcpdump.waitForReadyRead(5000); // "listening on eth0 ..."
                const QRegularExpressionMatch anchorBlast =
                    sentRe.match(QString::fromUtf8(mustRun(AgentRig::inNs(rig.podNs(), blast), 60000)));
                QThread::msleep(500);
                AgentRig::stop(tcpdump, SIGTERM);
                static const QRegularExpression capturedRe(QStringLiteral("(\\d+) packets captured"));
                const QRegularExpressionMatch dumped = capturedRe.match(QString::fromUtf8(tcpdump.readAll()));
                const qint64 anchorSent = anchorBlast.captured(1).toLongLong();
                const qint64 anchorCaptured = dumped.captured(1).toLongLong();
                m_lines << QStringLiteral("| anchor: `tcpdump -w /dev/null` in the pod netns on the same stream: "
                                          "packets captured / sent | %1 / %2 (%3 %) |  |")
                               .arg(anchorCaptured)
                               .arg(anchorSent)
                               .arg(anchorSent > 0 ? 100.0 * anchorCaptured / anchorSent : 0.0, 0, 'f', 2);
            }
            AgentRig::stop(*receiver, SIGTERM);
        }
    }

    void imageSize()
    {
        QTemporaryDir dir;
        const QString archive = dir.filePath(QStringLiteral("agent.tar"));
        const QStringList build = {
            qEnvironmentVariable("PODTAP_SOURCE_DIR") + QStringLiteral("/netlink-agent/build-image.sh"),
            AgentRig::agentPath(), archive};
        const ProcessResult built = run(build, 120000);
        if (!built.ok()) {
            QSKIP(qPrintable(built.describe(build)));
        }
        // Compressed size = what a registry stores and a node pulls: the blobs (gzip layer, config, manifest).
        const QString layout = dir.filePath(QStringLiteral("layout"));
        QDir().mkpath(layout);
        mustRun({QStringLiteral("tar"), QStringLiteral("-xf"), archive, QStringLiteral("-C"), layout});
        qint64 blobs = 0;
        for (const QFileInfo &blob : QDir(layout + QStringLiteral("/blobs/sha256")).entryInfoList(QDir::Files)) {
            blobs += blob.size();
        }
        m_lines << QStringLiteral(
            "| agent image (FROM scratch, static stripped binary of %1 bytes): compressed OCI blobs "
            "(`ninja agent-image`) | %2 bytes (%3 MiB) | < 1 MB |")
                       .arg(QFileInfo(AgentRig::agentPath()).size())
                       .arg(blobs)
                       .arg(blobs / 1048576.0, 0, 'f', 2);
    }

    void cleanupTestCase()
    {
        if (m_lines.isEmpty()) {
            return;
        }
        const QString body =
            QStringLiteral(
                "Measured on this machine (2 cores, all namespaces on one kernel: pod, node, tunnel and receiver share "
                "the CPUs, so the mirror's cost shows fully). iperf3 runs pod → node for %1 s per line.\n\n"
                "```sh\nctest --test-dir build -R tst_agent_bench --output-on-failure   # needs root\n```\n\n"
                "| what | result | target |\n|---|---|---|\n")
                .arg(kIperfSeconds) +
            m_lines.join(QLatin1Char('\n')) + QStringLiteral("\n\nLoad average when this run ended: ") + loadAverage() +
            QStringLiteral(
                " on 2 cores (other builds and tests share the machine; single runs swing by about 20 %, "
                "which is why each throughput figure is the median of runs paired with an untapped one).\n\n") +
            QString::fromUtf8(kMtuNote);
        QCOMPARE(podtap::test::writeBenchmarkSection(QStringLiteral("podtap-agent"), body), QString());
    }
};

QTEST_GUILESS_MAIN(TestAgentBench)
#include "tst_agent_bench.moc"
