// SPDX-License-Identifier: Apache-2.0
#include "receive_rig.h"
#include "support/benchmark_report.h"
#include "support/privileged.h"
#include "support/process.h"

#include <QDate>
#include <QFile>
#include <QFileInfo>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <algorithm>
#include <array>
#include <csignal>
#include <functional>
#include <sys/stat.h>
#include <unistd.h>

using namespace podtap::test;
using namespace podtap::test::receive;

namespace {

constexpr int kIperfSeconds = 3;
constexpr int kDrainMs = 1000; // after the traffic, for a reader to empty its ring or socket
// Paired rounds: each round runs every variant once, in a rotated order, so drift in the machine's load (a CI run
// and other engineers share the two cores) falls on all variants alike. Every figure is a median over the rounds.
constexpr int kUdpRounds = 3;
constexpr int kTcpRounds = 5;
constexpr int kMtuRounds = 3;
constexpr int kPpsPerDirection = 50000; // as the userspace receiver benchmark: ~100k pps both ways
constexpr int kUdpSeconds = 3;
constexpr MirrorTarget kProbeTarget {.ingressVni = 4512, .egressVni = 4511, .port = 47897};

enum class Variant { Untapped, Stream, Tcpdump, Mirror };
constexpr int kVariants = 4;

/// One run of one variant.
struct Run
{
    double gbit = 0; ///< iperf3 (TCP runs)
    qint64 sent = 0; ///< udp_blast's count, both directions (UDP runs)
    qint64 written = 0; ///< packets in the file (capinfos -c)
    qint64 seen = 0; ///< the capturing side's own count: stream packets, tcpdump captured, agent mirrored
    qint64 lost = 0; ///< the capturing side's own loss count: ring drops, dropped by kernel, probe drops
    double cpu = 0; ///< the capturing process (stream agent, tcpdump, probe), user + system seconds
    bool ok = false;
};

QString range(const QList<double> &values, int decimals)
{
    return QStringLiteral("%1–%2")
        .arg(*std::min_element(values.begin(), values.end()), 0, 'f', decimals)
        .arg(*std::max_element(values.begin(), values.end()), 0, 'f', decimals);
}

// Dated observations, kept with the generated tables because single runs vary.
const char kNotes[] =
    "What the tables say (2026-12-04, runs at load 1-4 beside a CI run): **UDP fidelity** is met by both "
    "paths (every datagram of ~100k pps written, no drops); the stream spends about a tenth of the probe's CPU "
    "per packet, but that compares different work: the stream copies frames from its ring into pcapng, the "
    "probe also receives and decapsulates the VXLAN datagrams, and the mirror's kernel work (tc, VXLAN "
    "encapsulation, UDP receive, all in softirq) is in neither figure. **TCP at pod MTU 1450**: the stream, "
    "`tcpdump -w` and the mirror path cost the pod about alike (each keeps roughly three quarters of the "
    "untapped throughput; the ranges overlap) and none keeps every frame of a 12-15 Gbit/s flow on two shared "
    "cores: the stream's 8 MiB ring overflows and it counts the rest as `ring_drops`, tcpdump's buffer "
    "overflows likewise (see *frames kept*). The stream keeps fewer frames than tcpdump (a quarter against a half "
    "in the run above, 40 % against 70 % in the run before): its way from the ring to stdout (a copy into a 2 MiB "
    "buffer, then write) is slower than tcpdump's here; not investigated further. **Pod MTU = underlay MTU**: the "
    "mirror path keeps about a tenth "
    "of the pod's throughput (every mirrored frame plus 50 bytes of VXLAN is fragmented by the node and "
    "reassembled by the receiver), the stream two thirds to three quarters (65 % above, 73 % in the run "
    "before), about as at MTU 1450: it adds nothing to a frame, so nothing fragments.\n\n"
    "The first run of this benchmark found a defect in the stream: with stdout a regular file, a backlog "
    "larger than the 2 MiB output buffer left the ring unpolled until the next one-second timer, so the "
    "stream wrote under 1 % of the TCP frames (568-936 frames a run, 104,550-113,567 ring drops) while "
    "costing the pod almost nothing. It is fixed (the ring is polled again once stdout took the buffer; "
    "tst_agent_stream keepsUpAfterABacklogIntoAFile shows it) and the tables above are after the fix.\n\n"
    "Not measured here: the API server hop. Through kube-sim's exec (WebSocket) or a real API server the "
    "stream's bytes also cross the kubelet and the API server, which costs CPU there and caps the rate at "
    "what that connection carries; what the agent writes here is the upper bound of what arrives.\n";

} // namespace

/// @brief Benchmarks `podtap-agent stream` (AF_PACKET TPACKET_V3 in the pod's netns, pcapng on stdout into a file)
/// on the agent rig next to the mirror path (tc mirred into VXLAN, into the userspace receiver) in the same run:
/// UDP capture fidelity at ~100k pps, the pod's TCP throughput (also next to `tcpdump -w` in the pod netns and
/// untapped), and the pod MTU = underlay MTU case. Asserts only that every run moved data and every capture wrote
/// packets; speed is reported in BENCHMARKS.md, not tested.
class TestStreamBench final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QStringList m_udpLines;
    QStringList m_tcpLines;

    static QStringList streamCommand(const AgentRig &rig, const QStringList &extra)
    {
        return AgentRig::inNs(rig.nodeNs(),
            QStringList {AgentRig::agentPath(), QStringLiteral("stream"), QStringLiteral("--container-id"),
                QStringLiteral("containerd://") + rig.containerId(), QStringLiteral("--proc-root"), rig.procRoot(),
                QStringLiteral("--stats-interval"), QStringLiteral("0")} +
                extra);
    }

    static QString bpf(const AgentRig &rig, const QStringList &expression)
    {
        return QString::fromLatin1(mustRun(AgentRig::inNs(rig.podNs(),
            QStringList {
                QStringLiteral("tcpdump"), QStringLiteral("-ddd"), QStringLiteral("-i"), QStringLiteral("eth0")} +
                expression)));
    }

    /// Runs @p traffic (which fills Run::gbit or Run::sent) while @p variant captures into a file, then stops the
    /// capture and counts what it wrote. @p bpfProgram (tcpdump -ddd) narrows the stream and the mirror.
    Run capture(
        const AgentRig &rig, Variant variant, const QString &bpfProgram, const std::function<void(Run &)> &traffic)
    {
        Run result;
        if (variant == Variant::Untapped) {
            traffic(result);
            result.ok = true;
            return result;
        }
        const QString file = m_dir.filePath(QStringLiteral("capture.pcapng"));
        QFile::remove(file);
        const QStringList bpfArgs =
            bpfProgram.isEmpty() ? QStringList {} : QStringList {QStringLiteral("--bpf"), bpfProgram};
        QString error;
        if (variant == Variant::Stream) {
            QProcess agent;
            agent.setReadChannel(QProcess::StandardError); // events on stderr, pcapng on stdout
            agent.setStandardOutputFile(file);
            const QStringList command = streamCommand(rig, bpfArgs);
            agent.start(command.first(), command.mid(1));
            if (AgentRig::waitForEvent(agent, QStringLiteral("ready"), 10000, nullptr).isEmpty()) {
                QTest::qFail(agent.readAllStandardError().constData(), __FILE__, __LINE__);
                return result;
            }
            const double cpuBefore = processCpuSeconds(agent.processId());
            traffic(result);
            QThread::msleep(kDrainMs);
            result.cpu = processCpuSeconds(agent.processId()) - cpuBefore;
            ::kill(static_cast<pid_t>(agent.processId()), SIGTERM);
            const QJsonObject stopped = AgentRig::waitForEvent(agent, QStringLiteral("stopped"), 20000, nullptr);
            agent.waitForFinished(10000);
            if (stopped.isEmpty() || agent.exitCode() != 0) {
                QTest::qFail("the stream did not stop cleanly", __FILE__, __LINE__);
                return result;
            }
            result.seen = stopped.value(QStringLiteral("packets")).toInteger(-1);
            result.lost = stopped.value(QStringLiteral("ring_drops")).toInteger(-1);
        } else if (variant == Variant::Tcpdump) {
            QProcess tcpdump;
            tcpdump.setProcessChannelMode(QProcess::MergedChannels); // its counts come on stderr
            tcpdump.start(QStringLiteral("ip"),
                {QStringLiteral("netns"), QStringLiteral("exec"), rig.podNs(), QStringLiteral("tcpdump"),
                    QStringLiteral("-i"), QStringLiteral("eth0"), QStringLiteral("-w"), file});
            tcpdump.waitForReadyRead(5000); // "listening on eth0 ..."
            const double cpuBefore = processCpuSeconds(tcpdump.processId());
            traffic(result);
            QThread::msleep(kDrainMs);
            result.cpu = processCpuSeconds(tcpdump.processId()) - cpuBefore;
            AgentRig::stop(tcpdump, SIGTERM);
            const QString out = QString::fromUtf8(tcpdump.readAll());
            static const QRegularExpression capturedRe(QStringLiteral("(\\d+) packets captured"));
            static const QRegularExpression droppedRe(QStringLiteral("(\\d+) packets dropped by kernel"));
            result.seen = capturedRe.match(out).captured(1).toLongLong();
            result.lost = droppedRe.match(out).captured(1).toLongLong();
        } else {
            ProbeProcess probe;
            if (!probe.start(rig.receiverNs(), kProbeTarget.port, file,
                    probeRoutes(rig.nodeUnderlayIp(), kProbeTarget, QStringLiteral("bench/pod/eth0")), &error)) {
                QTest::qFail(qPrintable(error), __FILE__, __LINE__);
                return result;
            }
            auto agent = startBothWaysMirror(rig, kProbeTarget, bpfArgs);
            if (AgentRig::waitForEvent(*agent, QStringLiteral("ready"), 10000, nullptr).isEmpty()) {
                QTest::qFail(agent->readAllStandardError().constData(), __FILE__, __LINE__);
                return result;
            }
            const double cpuBefore = processCpuSeconds(probe.pid());
            traffic(result);
            QThread::msleep(kDrainMs);
            result.cpu = processCpuSeconds(probe.pid()) - cpuBefore;
            result.seen = stopMirror(*agent).value(QStringLiteral("packets")).toInteger(-1);
            const QJsonObject stopped = probe.stop(&error);
            if (stopped.isEmpty()) {
                QTest::qFail(qPrintable(error), __FILE__, __LINE__);
                return result;
            }
            result.lost = stopped.value(QStringLiteral("kernelDrops")).toInteger();
        }
        result.written = captureFileCounts(file).packets;
        QFile::remove(file); // up to a few GB per TCP run: keep the disk and page cache for the next one
        result.ok = result.written > 0;
        if (!result.ok) {
            QTest::qFail("the capture wrote no packets", __FILE__, __LINE__);
        }
        return result;
    }

    /// Blasts UDP port 5201 pod -> node and node -> pod at once; returns the datagrams both senders sent.
    qint64 blastBothWays(const AgentRig &rig)
    {
        const auto blast = [](const QString &to) {
            return QStringList {builtExecutable(QStringLiteral("tests/agent/udp_blast")), QStringLiteral("--to"), to,
                QStringLiteral("--port"), QStringLiteral("5201"), QStringLiteral("--pps"),
                QString::number(kPpsPerDirection), QStringLiteral("--seconds"), QString::number(kUdpSeconds)};
        };
        QProcess out;
        QProcess in;
        const QStringList outCommand = AgentRig::inNs(rig.podNs(), blast(AgentRig::nodePodSideIp()));
        const QStringList inCommand = AgentRig::inNs(rig.nodeNs(), blast(AgentRig::podIp()));
        out.setProcessChannelMode(QProcess::MergedChannels);
        in.setProcessChannelMode(QProcess::MergedChannels);
        out.start(outCommand.first(), outCommand.mid(1));
        in.start(inCommand.first(), inCommand.mid(1));
        out.waitForFinished(60000);
        in.waitForFinished(60000);
        static const QRegularExpression sentRe(QStringLiteral("sent (\\d+) in"));
        const QRegularExpressionMatch a = sentRe.match(QString::fromUtf8(out.readAll()));
        const QRegularExpressionMatch b = sentRe.match(QString::fromUtf8(in.readAll()));
        return a.hasMatch() && b.hasMatch() ? a.captured(1).toLongLong() + b.captured(1).toLongLong() : -1;
    }

    static QString variantLabel(Variant variant)
    {
        switch (variant) {
        case Variant::Untapped:
            return QStringLiteral("untapped");
        case Variant::Stream:
            return QStringLiteral("**stream**: `podtap-agent stream` → pcapng file");
        case Variant::Tcpdump:
            return QStringLiteral("`tcpdump -w` file in the pod netns");
        case Variant::Mirror:
            return QStringLiteral("mirror path: tc mirred → VXLAN → userspace receiver (probe → pcapng)");
        }
        return {};
    }

    /// TCP rows: @p runs[variant] over the rounds, each tapped run paired with that round's untapped run.
    void tcpRows(int podMtu, const std::array<QList<Run>, kVariants> &runs, const QList<Variant> &variants)
    {
        const QList<Run> &untapped = runs.at(int(Variant::Untapped));
        for (const Variant variant : variants) {
            const QList<Run> &list = runs.at(int(variant));
            QList<double> gbit;
            QList<double> ratios;
            QList<double> cpu;
            QList<double> written;
            QList<double> seen;
            QList<double> lost;
            for (int i = 0; i < list.size(); ++i) {
                gbit << list.at(i).gbit;
                ratios << (untapped.at(i).gbit > 0 ? 100.0 * list.at(i).gbit / untapped.at(i).gbit : 0.0);
                cpu << list.at(i).cpu;
                written << double(list.at(i).written);
                seen << double(list.at(i).seen);
                lost << double(list.at(i).lost);
            }
            if (variant == Variant::Untapped) {
                m_tcpLines << QStringLiteral("| %1 | %2 | %3 Gbit/s (%4) | 100 % | | |")
                                  .arg(podMtu)
                                  .arg(variantLabel(variant))
                                  .arg(median(gbit), 0, 'f', 2)
                                  .arg(range(gbit, 2));
                continue;
            }
            const QString counts = variant == Variant::Mirror
                ? QStringLiteral("%1 frames written (%2 segments mirrored), %3 socket drops")
                : QStringLiteral("%1 frames written (%2 captured), %3 %4");
            QString detail =
                counts.arg(median(written), 0, 'f', 0).arg(median(seen), 0, 'f', 0).arg(median(lost), 0, 'f', 0);
            if (variant != Variant::Mirror) {
                QList<double> kept;
                for (const Run &run : list) {
                    kept << (run.seen + run.lost > 0 ? 100.0 * double(run.written) / double(run.seen + run.lost) : 0.0);
                }
                detail = detail.arg(variant == Variant::Stream ? QStringLiteral("ring drops")
                                                               : QStringLiteral("dropped by kernel")) +
                    QStringLiteral(": %1 % of the frames kept").arg(median(kept), 0, 'f', 0);
            }
            m_tcpLines << QStringLiteral("| %1 | %2 | %3 Gbit/s (%4) | **%5 %** (%6 %) | %7 s | %8 |")
                              .arg(podMtu)
                              .arg(variantLabel(variant))
                              .arg(median(gbit), 0, 'f', 2)
                              .arg(range(gbit, 2))
                              .arg(median(ratios), 0, 'f', 0)
                              .arg(range(ratios, 0))
                              .arg(median(cpu), 0, 'f', 2)
                              .arg(detail);
        }
    }

    /// Paired rounds of iperf3 for @p variants on a rig with @p podMtu (underlay 1500).
    void tcpRounds(int podMtu, int rounds, const QList<Variant> &variants)
    {
        AgentRig rig(QStringLiteral("w%1").arg(::getpid()));
        AgentRigOptions options;
        options.podMtu = podMtu;
        QString error;
        QVERIFY2(rig.setUp(options, &error), qPrintable(error));
        std::array<QList<Run>, kVariants> runs;
        for (int round = 0; round < rounds; ++round) {
            for (int i = 0; i < variants.size(); ++i) {
                const Variant variant = variants.at((round + i) % variants.size());
                const Run result =
                    capture(rig, variant, QString(), [&](Run &r) { r.gbit = rig.iperfTcpGbit(kIperfSeconds); });
                if (QTest::currentTestFailed()) {
                    return;
                }
                QVERIFY2(result.gbit > 0, "iperf3 moved no data");
                qInfo("MTU %d round %d: %s %.2f Gbit/s, written %lld, seen %lld, lost %lld, cpu %.2f s", podMtu, round,
                    qPrintable(variantLabel(variant)), result.gbit, result.written, result.seen, result.lost,
                    result.cpu);
                runs.at(int(variant)) << result;
            }
        }
        tcpRows(podMtu, runs, variants);
        rig.tearDown();
    }

private Q_SLOTS:
    void initTestCase()
    {
        PODTAP_REQUIRE_PRIVILEGED();
        for (const char *tool : {"capinfos", "iperf3", "tcpdump"}) {
            if (QStandardPaths::findExecutable(QString::fromLatin1(tool)).isEmpty()) {
                QSKIP("capinfos, iperf3 and tcpdump are needed (scripts/install-deps.sh test installs them)");
            }
        }
        QVERIFY2(QFileInfo::exists(AgentRig::agentPath()), qPrintable(AgentRig::agentPath()));
        QVERIFY(m_dir.isValid());
        // The probe runs as nobody; tcpdump may drop to its own user before it opens the file.
        QVERIFY(::chmod(QFile::encodeName(m_dir.path()).constData(), 0777) == 0);
    }

    void udpFidelity()
    {
        AgentRig rig(QStringLiteral("v%1").arg(::getpid()));
        QString error;
        QVERIFY2(rig.setUp(AgentRigOptions {}, &error), qPrintable(error));
        // Resolve the neighbours first: datagrams queued behind an unresolved neighbour can be dropped before
        // they reach the device, although the sender counted them.
        mustRun(AgentRig::inNs(rig.podNs(),
            {QStringLiteral("ping"), QStringLiteral("-c"), QStringLiteral("1"), AgentRig::nodePodSideIp()}));
        mustRun(AgentRig::inNs(
            rig.nodeNs(), {QStringLiteral("ping"), QStringLiteral("-c"), QStringLiteral("1"), AgentRig::podIp()}));
        // Only the blast's datagrams (not the ICMP errors they draw), so that written / sent is exact for both.
        const QString udp = bpf(rig, {QStringLiteral("udp"), QStringLiteral("port"), QStringLiteral("5201")});
        const QList<Variant> variants {Variant::Stream, Variant::Mirror};
        std::array<QList<Run>, kVariants> runs;
        for (int round = 0; round < kUdpRounds; ++round) {
            for (int i = 0; i < variants.size(); ++i) {
                const Variant variant = variants.at((round + i) % variants.size());
                const Run result = capture(rig, variant, udp, [&](Run &r) { r.sent = blastBothWays(rig); });
                if (QTest::currentTestFailed()) {
                    return;
                }
                QVERIFY2(result.sent > 0, "udp_blast did not report what it sent");
                qInfo("UDP round %d: %s sent %lld, written %lld, seen %lld, lost %lld, cpu %.2f s", round,
                    qPrintable(variantLabel(variant)), result.sent, result.written, result.seen, result.lost,
                    result.cpu);
                runs.at(int(variant)) << result;
            }
        }
        for (const Variant variant : variants) {
            QList<double> ratios;
            QStringList each;
            QList<double> cpuPerPacket;
            QList<double> lost;
            for (const Run &run : runs.at(int(variant))) {
                ratios << 100.0 * double(run.written) / double(run.sent);
                each << QStringLiteral("%1/%2").arg(run.written).arg(run.sent);
                cpuPerPacket << 1e6 * run.cpu / double(std::max<qint64>(1, run.written));
                lost << double(run.lost);
            }
            m_udpLines << QStringLiteral("| %1 | **%2 %** (%3 %) | %4 | %5 | %6 µs |")
                              .arg(variantLabel(variant))
                              .arg(median(ratios), 0, 'f', 3)
                              .arg(range(ratios, 3))
                              .arg(each.join(QStringLiteral(", ")))
                              .arg(median(lost), 0, 'f', 0)
                              .arg(median(cpuPerPacket), 0, 'f', 2);
        }
        rig.tearDown();
    }

    void tcpThroughput()
    {
        tcpRounds(1450, kTcpRounds, {Variant::Untapped, Variant::Stream, Variant::Tcpdump, Variant::Mirror});
    }

    void tcpThroughputPodMtuEqualsUnderlay()
    {
        tcpRounds(1500, kMtuRounds, {Variant::Untapped, Variant::Stream, Variant::Mirror});
    }

    void cleanupTestCase()
    {
        if (m_udpLines.isEmpty() && m_tcpLines.isEmpty()) {
            return;
        }
        const QString body =
            QStringLiteral(
                "`podtap-agent stream` (AF_PACKET TPACKET_V3 on the pod's eth0, pcapng on stdout) run directly on the "
                "agent rig (tests/agent): the agent in the node netns, its stdout into a pcapng file; the API "
                "server hop (kube-sim exec over WebSocket) is not in these numbers. Next to it in the same run, the "
                "mirror path (`podtap-agent mirror --direction both`, tc mirred into VXLAN) into the userspace "
                "receiver (`podtap-receive-probe` as nobody writing pcapng), and for TCP `tcpdump -w` in the pod "
                "netns and the untapped pod. Every file is counted with `capinfos -c` and removed.\n\n"
                "Paired rounds: each round runs every variant once in a rotated order and every figure is the "
                "median over the rounds, because the machine's 2 cores were shared with a CI verification run "
                "and other engineers' builds while this ran (load average %1 when it ended; single runs swing "
                "widely, see the ranges). Measured %2.\n\n"
                "```sh\nPODTAP_REQUIRE_PRIVILEGED=1 ctest --test-dir build -R tst_stream_bench --output-on-failure "
                "-V   # needs root\n```\n\n"
                "**UDP capture fidelity** (target ≥ 99.9 %): `udp_blast` sends 64-byte payloads pod → node and "
                "node → pod at %3 pps each for %4 s (~%5 pps); both captures take only `udp port 5201` (`--bpf`, "
                "so the ICMP errors the datagrams draw are left out) and *written / sent* is the file's packets "
                "over the datagrams the two senders sent; %6 rounds. *Lost* is the capture's own count (the "
                "stream's `ring_drops`, the probe's socket drops). CPU is the capturing process's (the stream "
                "agent, the probe) user + system time over the blast and 1 s after it, per packet written.\n\n"
                "| capture | written / sent (range) | each round | lost (own count) | CPU per packet |\n"
                "|---|---|---|---|---|\n")
                .arg(loadAverage(), QDate::currentDate().toString(Qt::ISODate))
                .arg(kPpsPerDirection)
                .arg(kUdpSeconds)
                .arg(2 * kPpsPerDirection)
                .arg(kUdpRounds) +
            m_udpLines.join(QLatin1Char('\n')) +
            QStringLiteral(
                "\n\n**Pod TCP throughput** (iperf3 pod → node, %1 s per run; %2 rounds at pod MTU 1450, %3 rounds "
                "at pod MTU = underlay MTU = 1500). *vs untapped* is the median of each run over the same round's "
                "untapped run. CPU is the capturing process's (stream agent, tcpdump, probe) over the run and 1 s "
                "after it. The stream and tcpdump read the pod's eth0 (a veth) and so see segmentation-offload "
                "frames of up to 64 KB as one frame each; the mirror counts them per segment.\n\n"
                "| pod MTU | capture | TCP throughput (range) | vs untapped (range) | capture CPU per run | frames |\n"
                "|---|---|---|---|---|---|\n")
                .arg(kIperfSeconds)
                .arg(kTcpRounds)
                .arg(kMtuRounds) +
            m_tcpLines.join(QLatin1Char('\n')) + QStringLiteral("\n\n") + QString::fromUtf8(kNotes);
        std::fputs(qPrintable(body), stdout);
        QCOMPARE(writeBenchmarkSection(QStringLiteral("Stream through the API server (podtap-agent stream)"), body),
            QString());
    }
};

QTEST_GUILESS_MAIN(TestStreamBench)
#include "tst_stream_bench.moc"
