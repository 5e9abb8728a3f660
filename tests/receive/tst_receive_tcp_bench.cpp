// SPDX-License-Identifier: Apache-2.0
#include "receive_rig.h"
#include "receive_test_support.h"
#include "support/benchmark_report.h"
#include "support/privileged.h"
#include "support/process.h"

#include <QDate>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <algorithm>
#include <array>
#include <sys/stat.h>
#include <unistd.h>

using namespace podtap::test;
using namespace podtap::test::receive;

namespace {

constexpr int kIperfSeconds = 3;
// Each round runs every variant once, in a rotated order, so that drift in the machine's load (other engineers'
// builds) falls on all of them alike; every figure is a median over the rounds.
constexpr int kRounds = 9;
constexpr int kDrainMs = 1000; // after iperf3, for the receiver to empty its socket or ring
// The kernel anchor's VXLAN devices and the probe's socket listen on different ports, so both stay set up and each
// tapped run only starts the agent toward one of them.
constexpr MirrorTarget kKernelTarget {.ingressVni = 4402, .egressVni = 4401, .port = 47895};
constexpr MirrorTarget kProbeTarget {.ingressVni = 4412, .egressVni = 4411, .port = 47896};

enum class Variant { Untapped, Kernel, Userspace };

/// One iperf3 run and, when tapped, what the agent mirrored and the receiver wrote during it.
struct Run
{
    double gbit = 0;
    double cpu = 0; ///< receiving process, user + system seconds over the run and the drain
    qint64 mirroredPackets = 0; ///< the agent's final count (tc counts a segmentation-offload frame per segment)
    qint64 mirroredBytes = 0;
    CaptureFileCounts written; ///< capinfos of the file
    qint64 lost = 0; ///< the receiver's own count of frames lost before writing (socket or ring)
    qint64 underlayBytes = 0; ///< bytes the receiver netns' underlay device received during the run
    qint64 ipDropped = 0; ///< IP datagrams the receiver netns dropped (header errors, discards) during the run
};

/// Counters of the receiver netns that say where mirrored traffic went: its underlay device and its IP layer.
struct PathCounters
{
    qint64 underlayPackets = 0;
    qint64 underlayBytes = 0;
    qint64 ipHeaderErrors = 0;
    qint64 ipDiscards = 0;
    qint64 udpDatagrams = 0;
    qint64 udpErrors = 0;

    static PathCounters read(const QString &ns)
    {
        return {AgentRig::rxCounter(ns, QStringLiteral("ul0")),
            AgentRig::rxCounter(ns, QStringLiteral("ul0"), QStringLiteral("bytes")),
            snmpCounter(ns, QStringLiteral("Ip"), QStringLiteral("InHdrErrors")),
            snmpCounter(ns, QStringLiteral("Ip"), QStringLiteral("InDiscards")),
            snmpCounter(ns, QStringLiteral("Udp"), QStringLiteral("InDatagrams")),
            snmpCounter(ns, QStringLiteral("Udp"), QStringLiteral("InErrors"))};
    }
    PathCounters operator-(const PathCounters &o) const
    {
        return {underlayPackets - o.underlayPackets, underlayBytes - o.underlayBytes, ipHeaderErrors - o.ipHeaderErrors,
            ipDiscards - o.ipDiscards, udpDatagrams - o.udpDatagrams, udpErrors - o.udpErrors};
    }
};

QString gbitRange(const QList<double> &values)
{
    return QStringLiteral("%1–%2")
        .arg(*std::min_element(values.begin(), values.end()), 0, 'f', 2)
        .arg(*std::max_element(values.begin(), values.end()), 0, 'f', 2);
}

QString percentRange(const QList<double> &ratios)
{
    return QStringLiteral("%1–%2 %")
        .arg(100 * *std::min_element(ratios.begin(), ratios.end()), 0, 'f', 0)
        .arg(100 * *std::max_element(ratios.begin(), ratios.end()), 0, 'f', 0);
}

// Dated observations over several runs, kept with the generated table because single runs vary this much.
const char kNotes[] =
    "Two earlier runs the same day, under heavier load from other engineers' builds and tests: 6 rounds at load "
    "average 10 gave the kernel anchor 105 % and the userspace receiver 66 % of an untapped 6.51 Gbit/s; 9 rounds "
    "at load 20 gave 94 % and 78 % of 1.81 Gbit/s. So which receiver costs the pod more is not settled here: the "
    "kernel anchor led in those two runs, the userspace receiver in the 2026-12-04 run at load 5 (in 6 of its 9 "
    "rounds), and the "
    "ranges overlap widely. The pod is not slowed by a receiver that falls behind (the tunnel is UDP: nothing "
    "pushes back), only by the CPU the receiver takes from the pod on the same two cores.\n\n"
    "**Neither receiver keeps up with this stream here** (no target is set for it; the 100k pps target above is "
    "met): in that run dumpcap wrote 45 % and the probe 30 % of the mirrored bytes (both about 30 % at load "
    "20). The loss is the receivers' own and they count it: the receiver netns' underlay receives about all the "
    "agent mirrors (96 % of its byte count, which counts every segment's headers; no IP or device drops), then "
    "the probe's socket overflows (its 8 MiB receive buffer holds about 128 of these datagrams; the kernel's UDP "
    "receive errors match the probe's SO_RXQ_OVFL count in most runs, but in 5 of its 9 probe runs exceeded it (by "
    "4 to 14,074): SO_RXQ_OVFL comes with a datagram read, so drops after the last datagram queued are never "
    "reported to the probe, and its loss count can be low) and dumpcap's capture ring overflows. The frames are "
    "large because the rig's underlay is a veth pair: a mirrored segmentation-offload frame crosses it whole, so "
    "one VXLAN datagram carries a TCP frame of up to 64 KB (about 45 segments) and the receivers see ~45 times "
    "fewer, larger packets than over a real NIC, where the node sends one 1,464-byte frame per segment. A "
    "multi-Gbit/s capture that keeps every frame needs more than these two shared cores (for the probe, at least "
    "a larger socket buffer), or a capture filter that leaves the bulk out (see `--bpf` under podtap-agent).\n";

} // namespace

/// @brief Benchmarks the pod's TCP throughput (iperf3 pod → node) on the agent rig while the real agent mirrors both
/// directions into (a) the userspace receiver (podtap-receive-probe as nobody, writing pcapng to a file) and (b)
/// the kernel anchor (one VXLAN device per VNI captured by `dumpcap -w`), next to the untapped pod, in paired
/// rounds. Asserts only that every run moved data and every tapped run was mirrored and written; speed is
/// reported in BENCHMARKS.md, not tested.
class TestReceiveTcpBench final : public QObject
{
    Q_OBJECT

    std::unique_ptr<AgentRig> m_rig;
    std::unique_ptr<KernelAnchor> m_anchor;
    QTemporaryDir m_dir;
    std::array<QList<Run>, 3> m_runs;
    QList<double> m_kernelRatios;
    QList<double> m_userspaceRatios;
    QString m_probeReady;

    /// iperf3 with the agent mirroring into the chosen receiver, which writes a file that is removed afterwards.
    Run tappedRun(Variant variant, int round)
    {
        Run result;
        const QString file = m_dir.filePath(
            QStringLiteral("round%1-%2.pcapng")
                .arg(round)
                .arg(variant == Variant::Kernel ? QStringLiteral("kernel") : QStringLiteral("userspace")));
        QString error;
        ProbeProcess probe;
        qint64 pid = 0;
        if (variant == Variant::Kernel) {
            if (!m_anchor->startCapture(file, &error)) {
                QTest::qFail(qPrintable(error), __FILE__, __LINE__);
                return result;
            }
            pid = m_anchor->pid();
        } else {
            if (!probe.start(m_rig->receiverNs(), kProbeTarget.port, file,
                    probeRoutes(m_rig->nodeUnderlayIp(), kProbeTarget, QStringLiteral("bench/pod/eth0")), &error)) {
                QTest::qFail(qPrintable(error), __FILE__, __LINE__);
                return result;
            }
            m_probeReady = QStringLiteral("receive buffer %1 bytes, batched %2")
                               .arg(probe.ready().value(QStringLiteral("receiveBuffer")).toInteger())
                               .arg(probe.ready().value(QStringLiteral("batched")).toBool() ? QStringLiteral("yes")
                                                                                            : QStringLiteral("no"));
            pid = probe.pid();
        }
        auto agent = startBothWaysMirror(*m_rig, variant == Variant::Kernel ? kKernelTarget : kProbeTarget);
        if (AgentRig::waitForEvent(*agent, QStringLiteral("ready"), 10000, nullptr).isEmpty()) {
            QTest::qFail(agent->readAllStandardError().constData(), __FILE__, __LINE__);
            return result;
        }
        const PathCounters pathBefore = PathCounters::read(m_rig->receiverNs());
        const double cpuBefore = processCpuSeconds(pid);
        result.gbit = m_rig->iperfTcpGbit(kIperfSeconds);
        QThread::msleep(kDrainMs);
        result.cpu = processCpuSeconds(pid) - cpuBefore;
        const QJsonObject mirrored = stopMirror(*agent);
        result.mirroredPackets = mirrored.value(QStringLiteral("packets")).toInteger(-1);
        result.mirroredBytes = mirrored.value(QStringLiteral("bytes")).toInteger(-1);
        if (variant == Variant::Kernel) {
            if (!m_anchor->stopCapture(&error)) {
                QTest::qFail(qPrintable(error), __FILE__, __LINE__);
            }
            for (const KernelAnchor::Count &count : m_anchor->dumpcapCounts()) {
                result.lost += count.dropped;
            }
        } else {
            const QJsonObject stopped = probe.stop(&error);
            if (stopped.isEmpty()) {
                QTest::qFail(qPrintable(error), __FILE__, __LINE__);
            }
            for (const QJsonValue &route : stopped.value(QStringLiteral("routes")).toArray()) {
                result.lost += route.toObject().value(QStringLiteral("drops")).toInteger();
            }
            result.lost += stopped.value(QStringLiteral("kernelDrops")).toInteger();
        }
        result.written = captureFileCounts(file);
        const PathCounters path = PathCounters::read(m_rig->receiverNs()) - pathBefore;
        result.underlayBytes = path.underlayBytes;
        result.ipDropped = path.ipHeaderErrors + path.ipDiscards;
        qInfo("%s: agent %s; file %lld frames, %lld bytes; receiver lost %lld; receiver netns: ul0 %lld packets, %lld "
              "bytes, IP header errors %lld, discards %lld, UDP datagrams %lld, errors %lld",
            variant == Variant::Kernel ? "kernel" : "userspace",
            QJsonDocument(mirrored).toJson(QJsonDocument::Compact).constData(), result.written.packets,
            result.written.dataBytes, result.lost, path.underlayPackets, path.underlayBytes, path.ipHeaderErrors,
            path.ipDiscards, path.udpDatagrams, path.udpErrors);
        QFile::remove(file); // up to a few GB per run: keep the disk and page cache for the next one
        return result;
    }

    QString row(Variant variant, const QString &label, const QList<double> &ratios) const
    {
        const QList<Run> &runs = m_runs.at(int(variant));
        QList<double> gbit;
        QList<double> cpu;
        QList<double> bytesWritten;
        QList<double> frames;
        QList<double> segments;
        QList<double> lost;
        QList<double> cpuPerGb;
        QList<double> reached;
        for (const Run &run : runs) {
            reached << (run.mirroredBytes > 0 ? 100.0 * double(run.underlayBytes) / double(run.mirroredBytes) : 0.0);
            gbit << run.gbit;
            cpu << run.cpu;
            bytesWritten << (run.mirroredBytes > 0 ? 100.0 * double(run.written.dataBytes) / double(run.mirroredBytes)
                                                   : 0.0);
            frames << double(run.written.packets);
            segments << double(run.mirroredPackets);
            lost << double(run.lost);
            cpuPerGb << (run.written.dataBytes > 0 ? run.cpu / (double(run.written.dataBytes) / 1e9) : 0.0);
        }
        if (variant == Variant::Untapped) {
            return QStringLiteral("| %1 | %2 Gbit/s (%3) | 100 % | | | |")
                .arg(label)
                .arg(median(gbit), 0, 'f', 2)
                .arg(gbitRange(gbit));
        }
        return QStringLiteral("| %1 | %2 Gbit/s (%3) | **%4 %** (%5) | %6 s, %7 % of one core (%8 s per GB written) | "
                              "%9 % (%10 % reached the receiver netns) | %11 written (%12 segments mirrored), %13 "
                              "lost by the receiver |")
            .arg(label)
            .arg(median(gbit), 0, 'f', 2)
            .arg(gbitRange(gbit))
            .arg(100 * median(ratios), 0, 'f', 0)
            .arg(percentRange(ratios))
            .arg(median(cpu), 0, 'f', 2)
            .arg(100 * median(cpu) / (kIperfSeconds + kDrainMs / 1000.0), 0, 'f', 0)
            .arg(median(cpuPerGb), 0, 'f', 2)
            .arg(median(bytesWritten), 0, 'f', 0)
            .arg(median(reached), 0, 'f', 0)
            .arg(median(frames), 0, 'f', 0)
            .arg(median(segments), 0, 'f', 0)
            .arg(median(lost), 0, 'f', 0);
    }

private Q_SLOTS:
    void initTestCase()
    {
        PODTAP_REQUIRE_PRIVILEGED();
        for (const char *tool : {"dumpcap", "capinfos", "iperf3"}) {
            if (QStandardPaths::findExecutable(QString::fromLatin1(tool)).isEmpty()) {
                QSKIP("dumpcap, capinfos and iperf3 are needed (scripts/install-deps.sh test installs them)");
            }
        }
        QVERIFY2(QFileInfo::exists(AgentRig::agentPath()), qPrintable(AgentRig::agentPath()));
        QVERIFY(m_dir.isValid());
        QVERIFY(::chmod(QFile::encodeName(m_dir.path()).constData(), 0777) == 0); // the probe runs as nobody
    }

    void cleanupTestCase()
    {
        m_anchor.reset();
        if (m_rig) {
            m_rig->tearDown();
            m_rig.reset();
        }
    }

    void tcpThroughputTappedIntoEachReceiver()
    {
        m_rig = std::make_unique<AgentRig>(QStringLiteral("k%1").arg(::getpid()));
        QString error;
        QVERIFY2(m_rig->setUp(AgentRigOptions {}, &error), qPrintable(error));
        m_anchor = std::make_unique<KernelAnchor>(*m_rig);
        QVERIFY2(m_anchor->addDevices(kKernelTarget, &error), qPrintable(error));

        constexpr std::array<Variant, 3> kOrder {Variant::Untapped, Variant::Kernel, Variant::Userspace};
        for (int round = 0; round < kRounds; ++round) {
            std::array<Run, 3> results;
            for (int i = 0; i < 3; ++i) {
                const Variant variant = kOrder.at((round + i) % 3);
                if (variant == Variant::Untapped) {
                    results.at(int(variant)).gbit = m_rig->iperfTcpGbit(kIperfSeconds);
                } else {
                    results.at(int(variant)) = tappedRun(variant, round);
                }
                if (QTest::currentTestFailed()) {
                    return;
                }
            }
            const Run &untapped = results.at(int(Variant::Untapped));
            QVERIFY2(untapped.gbit > 0, "iperf3 moved no data untapped");
            for (const Variant variant : {Variant::Kernel, Variant::Userspace}) {
                const Run &run = results.at(int(variant));
                QVERIFY2(run.gbit > 0, "iperf3 moved no data while tapped");
                QVERIFY2(run.mirroredPackets > 0 && run.mirroredBytes > 0,
                    "the agent's stopped event counted no mirrored packets");
                QVERIFY2(run.written.packets > 0 && run.written.dataBytes > 0, "the receiver wrote no packets");
            }
            for (int v = 0; v < 3; ++v) {
                m_runs.at(v) << results.at(v);
            }
            m_kernelRatios << results.at(int(Variant::Kernel)).gbit / untapped.gbit;
            m_userspaceRatios << results.at(int(Variant::Userspace)).gbit / untapped.gbit;
            qInfo("round %d: untapped %.2f, kernel %.2f, userspace %.2f Gbit/s", round + 1, untapped.gbit,
                results.at(int(Variant::Kernel)).gbit, results.at(int(Variant::Userspace)).gbit);
        }

        const QString body =
            QStringLiteral(
                "iperf3 TCP pod → node for %1 s on the agent rig (pod MTU 1450, underlay MTU 1500), in %2 rounds. "
                "Each round runs the pod untapped, tapped into the kernel anchor and tapped into the userspace "
                "receiver, one after the other, in an order that rotates from round to round. *vs untapped* is the "
                "median of each round's tapped / untapped ratio (their range in brackets); the other figures are "
                "medians over the rounds. Tapped means a fresh `podtap-agent mirror --direction both --egress-vni` "
                "per run, mirroring the pod's egress (the iperf3 data) and ingress (its ACKs) to the receiver netns, "
                "where the receiver writes every frame to a file (removed after the run):\n\n"
                "- userspace receiver: `podtap-receive-probe` run as nobody, one UDP socket, writing pcapng (%3);\n"
                "- kernel anchor: one VXLAN device per VNI, both captured by one `dumpcap -w` (default options).\n\n"
                "*Written / mirrored* is the file's data size (`capinfos -d`) over the bytes the agent's final "
                "`stopped` event counts; in brackets, the bytes the receiver netns' underlay device received over the "
                "same. Frames written is `capinfos -c`; the agent counts a segmentation-offload frame once per "
                "segment. *Lost* is the receiver's own count: the probe's socket drops (SO_RXQ_OVFL) and route "
                "drops, or dumpcap's drops. Receiver CPU is user + system time of the "
                "receiving process (`/proc/<pid>/stat`) over the run and %4 s after it; the kernel's softirq work "
                "(VXLAN decapsulation for the anchor, UDP receive for both) is not in it.\n\n"
                "Machine: 2 cores shared with other engineers' builds and tests, and within the rig by the pod, the "
                "node's mirror, the tunnel and the receiver, so single runs swing widely (see the ranges): read the "
                "medians and ratios, not single runs. Measured %5; load average %6 when the run ended.\n\n"
                "```sh\nPODTAP_REQUIRE_PRIVILEGED=1 ctest --test-dir build -R tst_receive_tcp_bench "
                "--output-on-failure -V   # needs root\n```\n\n"
                "| pod | TCP throughput (range) | vs untapped | receiver CPU per run | written / mirrored (bytes) | "
                "frames |\n|---|---|---|---|---|---|\n")
                .arg(kIperfSeconds)
                .arg(kRounds)
                .arg(m_probeReady)
                .arg(kDrainMs / 1000.0, 0, 'f', 0)
                .arg(QDate::currentDate().toString(Qt::ISODate), loadAverage()) +
            row(Variant::Untapped, QStringLiteral("untapped"), {}) + QLatin1Char('\n') +
            row(Variant::Kernel, QStringLiteral("tapped → kernel VXLAN devices + `dumpcap -w`"), m_kernelRatios) +
            QLatin1Char('\n') +
            row(Variant::Userspace, QStringLiteral("tapped → userspace receiver (probe → pcapng)"), m_userspaceRatios) +
            QStringLiteral("\n\n") + QString::fromUtf8(kNotes);
        std::fputs(qPrintable(body), stdout);
        QCOMPARE(writeBenchmarkSubsection(
                     QStringLiteral("Userspace receiver"), QStringLiteral("Pod TCP throughput while tapped"), body),
            QString());
    }
};

QTEST_GUILESS_MAIN(TestReceiveTcpBench)
#include "tst_receive_tcp_bench.moc"
